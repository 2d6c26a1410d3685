"""Duplicates (pure): which stored record matches a customer, how strongly, and how records merge.

Every customer registers its match keys — ``phone:<e164>``, ``email:<address>``,
``idcard:<blind index>``, ``uscc:<code>``, an enterprise's ``name:<region>:<name key>``, a
person's ``person:<region>:<name key>:<birthday>``, and the fuzzy block keys ``near:…`` — as
`_id`s of a key collection listing the customers that hold them. A duplicate check is one
`_id $in` lookup: constant cost at any collection size, on MongoDB and on the embedded server
alike.

The rules, strongest first:

- exact keys — identity number (ID_CARD), credit code (USCC), phone, email — block a create
  unless forced, and pair on their own;
- a person's same name with the same birthday in the same region (NAME_BIRTHDAY); a person's
  name alone never makes a pair — 张伟 is shared by hundreds of thousands — so a person's
  name rules always need the birthday as a second signal;
- an enterprise's same name in the same region, legal forms ignored (NAME_REGION:
  "华为技术有限公司" and "华为技术股份有限公司");
- a similar name in the same region (NAME_SIMILAR, `fuzzy`): among an enterprise's look-alike
  names, or among persons of the same birthday; names whose numbers or branches differ
  ("测试科技有限公司1" and "…2", 北京分公司 and 上海分公司) are never similar.

Name rules only make candidates for review. Both sides are bounded: a record opens at most
MAX_PAIRS candidate pairs, strongest first (exact keys first), and a lookup reads at most the
BLOCK_SIZE newest holders of a key (a block key keeps no more), so neither an import of
look-alike names nor a name shared by thousands makes pairs grow quadratically.

Merging duplicates into a survivor: per-field choices name the record whose value the survivor
keeps; without a choice a scalar field keeps the survivor's value (or the first non-empty one
among the others) and a list field (tags, phones, emails, addresses, contacts) becomes the
union, survivor first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_customer.customers.model import EDITABLE, Customer, changed_fields, validate
from crm_customer.customers.values import ContactPerson
from crm_customer.duplicates import fuzzy
from crm_customer.history.model import api_field
from crm_kit.errors import BadUserInput, Conflict, FieldError


class PairStatus(StrEnum):
    """Where a candidate pair is in review."""

    OPEN = "OPEN"
    MERGED = "MERGED"
    DISMISSED = "DISMISSED"
    ERASED = "ERASED"


class DuplicateRule(StrEnum):
    ID_CARD = "ID_CARD"
    USCC = "USCC"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    NAME_BIRTHDAY = "NAME_BIRTHDAY"
    NAME_REGION = "NAME_REGION"
    NAME_SIMILAR = "NAME_SIMILAR"


SCORES: dict[DuplicateRule, float] = {
    DuplicateRule.ID_CARD: 1.0,
    DuplicateRule.USCC: 1.0,
    DuplicateRule.PHONE: 0.9,
    DuplicateRule.EMAIL: 0.85,
    DuplicateRule.NAME_BIRTHDAY: 0.65,
    DuplicateRule.NAME_REGION: 0.6,
    DuplicateRule.NAME_SIMILAR: fuzzy.MAX_SCORE,  # the best case; each match has its own score
}
EXACT = frozenset(
    {DuplicateRule.ID_CARD, DuplicateRule.USCC, DuplicateRule.PHONE, DuplicateRule.EMAIL}
)
_PREFIX = {
    "idcard": DuplicateRule.ID_CARD,
    "uscc": DuplicateRule.USCC,
    "phone": DuplicateRule.PHONE,
    "email": DuplicateRule.EMAIL,
    "person": DuplicateRule.NAME_BIRTHDAY,
    "name": DuplicateRule.NAME_REGION,
}
MAX_PAIRS = 5  # candidate pairs one record opens: a review queue, not every look-alike
BLOCK_SIZE = 25  # holders a block key keeps and a key lookup reads, the newest
MAX_CANDIDATES = 2 * BLOCK_SIZE  # names scored per record: its (at most two) blocks
BLOCK_PREFIX = "near:"


def is_block_key(key: str) -> bool:
    """A fuzzy blocking key: it finds candidates to score, it is not a match itself."""
    return key.startswith(BLOCK_PREFIX)


def match_keys(doc: dict[str, Any]) -> set[str]:
    """The match keys of a stored customer document (normalised, identity blind-indexed)."""
    keys = {f"phone:{p}" for p in doc.get("contact_phones") or []}
    keys |= {f"email:{e}" for e in doc.get("contact_emails") or []}
    if doc.get("id_card_bidx"):
        keys.add(f"idcard:{doc['id_card_bidx']}")
    if doc.get("uscc"):
        keys.add(f"uscc:{doc['uscc']}")
    region, name_key = doc.get("region"), doc.get("name_key")
    if not region or not name_key:
        return keys  # the name rules are within a region
    name = str(doc.get("name") or "")
    if doc.get("kind") == "ENTERPRISE":
        keys.add(f"name:{region}:{name_key}")
        keys |= fuzzy.block_keys(name, region)
    elif doc.get("birthday"):  # a person's name counts only with a second signal
        keys.add(f"person:{region}:{name_key}:{doc['birthday']}")
        keys |= fuzzy.person_block_keys(name, region, doc["birthday"])
    return keys


def near_candidates(self_id: str, holders: dict[str, list[str]], exclude: set[str]) -> list[str]:
    """Customers sharing a fuzzy block key with this one, to be scored by name: the newest of
    each block first, at most MAX_CANDIDATES."""
    found: dict[str, None] = {}
    for key, ids in sorted(holders.items()):
        if is_block_key(key):
            found.update((i, None) for i in reversed(ids) if i != self_id and i not in exclude)
    return list(found)[:MAX_CANDIDATES]


def by_score(matches: list[Match]) -> list[Match]:
    """Strongest first; equal scores keep their order (the newer holder first)."""
    return sorted(matches, key=lambda m: -m.score)


def similar(self_id: str, name: str, candidates: dict[str, str], exclude: set[str]) -> list[Match]:
    """NAME_SIMILAR matches among `candidates` (id → name, newest first), best first."""
    matches = []
    for other, other_name in candidates.items():
        if other == self_id or other in exclude:
            continue
        s = fuzzy.score(name, other_name)
        if s is not None:
            matches.append(Match(other, DuplicateRule.NAME_SIMILAR, s))
    return by_score(matches)


def strongest_per_record(
    pairs: list[tuple[str, str, str, float]],
) -> list[tuple[str, str, str, float]]:
    """Of the pairs (record, other, rule, score) to open, each record's MAX_PAIRS strongest
    (equal scores in the order given)."""
    kept: dict[str, list[tuple[str, str, str, float]]] = {}
    for pair in sorted(pairs, key=lambda p: -p[3]):
        mine = kept.setdefault(pair[0], [])
        if len(mine) < MAX_PAIRS:
            mine.append(pair)
    return [pair for mine in kept.values() for pair in mine]


def rule_of(key: str) -> DuplicateRule:
    return _PREFIX[key.partition(":")[0]]


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records that may be the same customer, for review."""

    id: str
    customer_ids: tuple[str, str]
    rule: str
    score: float
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Match:
    customer_id: str
    rule: DuplicateRule
    score: float

    @property
    def exact(self) -> bool:
        return self.rule in EXACT


def rank(self_id: str, holders: dict[str, list[str]]) -> list[Match]:
    """From `key → customer ids holding it`, each other customer's strongest rule, best first."""
    best: dict[str, DuplicateRule] = {}
    for key, ids in holders.items():
        if is_block_key(key):
            continue  # blocking keys: candidates for `similar`, not matches
        rule = rule_of(key)
        for other in reversed(ids):  # the newest holder first
            if other != self_id and (other not in best or SCORES[rule] > SCORES[best[other]]):
                best[other] = rule
    return by_score([Match(other, rule, SCORES[rule]) for other, rule in best.items()])


def refuse_exact_duplicates(matches: list[Match], force: bool) -> None:
    """CONFLICT naming the strongest exact match (and listing all), unless `force`."""
    exact = [m for m in matches if m.exact]
    if exact and not force:
        top = exact[0]
        raise Conflict(
            f"Customer {top.customer_id} already has this {top.rule.lower()}",
            conflicting_id=top.customer_id,
            rule=str(top.rule),
            score=top.score,
            duplicates=[
                {"id": m.customer_id, "rule": str(m.rule), "score": m.score} for m in matches
            ],
        )


# --- merge ----------------------------------------------------------------------------------

MIN_RECORDS = 2
MAX_RECORDS = 10
LIST_FIELDS = ("tags", "phones", "emails", "addresses", "contacts")
GROUPS = (("id_card_number", "birthday", "gender"), ("source", "source_detail", "referrer"))


@dataclass(frozen=True, slots=True)
class FieldChoice:
    field: str
    customer_id: str


@dataclass(frozen=True, slots=True)
class MergeRequest:
    survivor_id: str
    merged_ids: list[str]
    choices: list[FieldChoice]
    expected_version: int | None = None

    @property
    def record_ids(self) -> list[str]:
        return [self.survivor_id, *self.merged_ids]


MERGEABLE = (*EDITABLE, "stage", "owner_id", "team")
# Choices name fields as the Customer type and the history do (`displayName`, `companySize`);
# `name`, the create/update input's spelling, stays accepted as it always was.
CHOOSABLE = {api_field(n): n for n in MERGEABLE} | {"name": "name"}


def check_request(survivor_id: str, merged_ids: list[str], choices: list[FieldChoice]) -> None:
    errors: list[FieldError] = []
    ids = [survivor_id, *merged_ids]
    if len(set(ids)) != len(ids):
        errors.append(FieldError("mergedIds", "DUPLICATE_ID", "Each record once"))
    if not MIN_RECORDS <= len(set(ids)) <= MAX_RECORDS:
        errors.append(FieldError("mergedIds", "MERGE_SIZE", "Merge 2 to 10 records"))
    for i, choice in enumerate(choices):
        if choice.field not in CHOOSABLE:
            errors.append(FieldError(f"fieldChoices[{i}].field", "UNKNOWN_FIELD", "No such field"))
        if choice.customer_id not in ids:
            errors.append(
                FieldError(f"fieldChoices[{i}].customerId", "NOT_IN_MERGE", "Not merged here")
            )
    if errors:
        raise BadUserInput(errors)


def _union(values: list[list[Any]]) -> list[Any]:
    out: list[Any] = []
    for items in values:
        for item in items:
            if item not in out:
                out.append(item)
    return out


def _grouped(records: tuple[Customer, ...], chosen: dict[str, Customer]) -> dict[str, Any]:
    """Fields that are only consistent together move together, from one record: the chosen
    one, else the first that has the group's lead field (the survivor first)."""
    values: dict[str, Any] = {}
    for group in GROUPS:
        picked = next((chosen[n] for n in group if n in chosen), None)
        if picked is None:
            picked = next((c for c in records if getattr(c, group[0])), records[0])
        for name in group:
            values[name] = getattr(picked, name)
    return values


def _field(name: str, records: tuple[Customer, ...], chosen: dict[str, Customer]) -> Any:
    """The survivor's value of one field: the chosen record's, the union of a list, per key
    for custom fields, else the first non-empty value (the survivor's first)."""
    if name in chosen:
        return getattr(chosen[name], name)
    if name in LIST_FIELDS:
        return _union([getattr(c, name) for c in records])
    if name == "custom_fields":  # per key: the survivor's value, else the first other's
        return {k: v for c in reversed(records) for k, v in c.custom_fields.items()}
    return next((getattr(c, name) for c in records if getattr(c, name)), getattr(records[0], name))


def _one_primary(contacts: list[ContactPerson]) -> list[ContactPerson]:
    """Contacts with at most one primary: the first primary one keeps it."""
    if sum(1 for c in contacts if c.primary) <= 1:
        return contacts
    first_primary = True
    out = []
    for c in contacts:
        out.append(replace(c, primary=c.primary and first_primary))
        first_primary = first_primary and not c.primary
    return out


def merge(
    survivor: Customer,
    others: list[Customer],
    choices: list[FieldChoice],
    *,
    actor: str,
    now: datetime,
) -> tuple[Customer, list[str]]:
    """The survivor after the merge (validated) and the names of the fields that changed."""
    records = (survivor, *others)
    by_id = {c.id: c for c in records}
    chosen = {CHOOSABLE[c.field]: by_id[c.customer_id] for c in choices}
    if len({c.kind for c in records}) > 1:
        raise BadUserInput.single("mergedIds", "KIND_MISMATCH", "Cannot merge different kinds")
    values = _grouped(records, chosen)
    for name in MERGEABLE:
        if name not in values:
            values[name] = _field(name, records, chosen)
    values["contacts"] = _one_primary(values["contacts"])
    merged = validate(replace(survivor, **values), now.date())
    changed = changed_fields(survivor, merged)
    return replace(merged, version=survivor.version + 1, updated_at=now, updated_by=actor), changed
