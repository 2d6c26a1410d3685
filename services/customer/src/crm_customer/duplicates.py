"""Duplicate detection rules (pure): which stored record matches a customer, how, how strongly.

Every customer registers its match keys — ``phone:<e164>``, ``email:<address>``,
``idcard:<blind index>``, ``uscc:<code>``, ``name:<region>:<name key>`` — as `_id`s of a key
collection listing the customers that hold them. A duplicate check is one `_id $in` lookup:
constant cost at any collection size, on MongoDB and on the embedded server alike.

Exact rules (identity number, credit code, phone, email) block a create unless forced;
the same or a similar name (`fuzzy`) within the same region is only a candidate for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from crm_customer import fuzzy


class DuplicateRule(StrEnum):
    ID_CARD = "ID_CARD"
    USCC = "USCC"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    NAME_REGION = "NAME_REGION"
    NAME_SIMILAR = "NAME_SIMILAR"


SCORES: dict[DuplicateRule, float] = {
    DuplicateRule.ID_CARD: 1.0,
    DuplicateRule.USCC: 1.0,
    DuplicateRule.PHONE: 0.9,
    DuplicateRule.EMAIL: 0.85,
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
    "name": DuplicateRule.NAME_REGION,
}


def match_keys(doc: dict[str, Any]) -> set[str]:
    """The match keys of a stored customer document (normalised, identity blind-indexed)."""
    keys = {f"phone:{p}" for p in doc.get("contact_phones") or []}
    keys |= {f"email:{e}" for e in doc.get("contact_emails") or []}
    if doc.get("id_card_bidx"):
        keys.add(f"idcard:{doc['id_card_bidx']}")
    if doc.get("uscc"):
        keys.add(f"uscc:{doc['uscc']}")
    if doc.get("region") and doc.get("name_key"):
        keys.add(f"name:{doc['region']}:{doc['name_key']}")
        keys |= fuzzy.block_keys(str(doc.get("name") or ""), doc["region"])
    return keys


def near_candidates(self_id: str, holders: dict[str, list[str]], exclude: set[str]) -> list[str]:
    """Customers sharing a fuzzy block key (``near:…``) with this one: to be scored by name."""
    found: dict[str, None] = {}
    for key, ids in sorted(holders.items()):
        if key.startswith("near:"):
            found.update((i, None) for i in ids if i != self_id and i not in exclude)
    return list(found)[: fuzzy.MAX_CANDIDATES]


def similar(self_id: str, name: str, candidates: dict[str, str], exclude: set[str]) -> list[Match]:
    """NAME_SIMILAR matches among `candidates` (id → name), best first."""
    matches = []
    for other, other_name in candidates.items():
        if other == self_id or other in exclude:
            continue
        s = fuzzy.score(name, other_name)
        if s is not None:
            matches.append(Match(other, DuplicateRule.NAME_SIMILAR, s))
    return sorted(matches, key=lambda m: (-m.score, m.customer_id))


def rule_of(key: str) -> DuplicateRule:
    return _PREFIX[key.partition(":")[0]]


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
        if key.startswith("near:"):
            continue  # blocking keys: candidates for `similar`, not matches
        rule = rule_of(key)
        for other in ids:
            if other != self_id and (other not in best or SCORES[rule] > SCORES[best[other]]):
                best[other] = rule
    matches = [Match(other, rule, SCORES[rule]) for other, rule in best.items()]
    return sorted(matches, key=lambda m: (-m.score, m.customer_id))
