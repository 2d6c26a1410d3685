"""Opportunity assignment rules and ownership decisions (pure): who owns a new deal when its
writer named nobody, and why a deal has the owner it has.

Rules are ADMIN data, tried in the kit's order (`position`, then id; inactive ones skipped).
A rule matches a deal when every criterion it sets holds: its pipeline is one of
`pipeline_ids`, its source one of `sources` (case and spacing aside), its amount in the base
currency within `[amount_min, amount_max)` (half open, like every range of the API, so bands
can follow each other without overlapping; a deal without an amount, or without a rate to
convert it, matches no rule with a band). A rule with no criteria catches every deal. The
customer's province and industry are not criteria: the sales projection of customers does
not carry them.

When no owner and no team is given, a new deal goes to (`Choice`, in this order): a member
of the first matching rule's team (`crm_kit.assignment_rules`); else the customer's owner,
when sales knows them as active and the creator may hand deals to them; else the creator.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from crm_kit.assignment_rules import Strategy
from crm_kit.errors import FieldError
from crm_sales.money.model import Money, parse_amount
from crm_sales.opportunities.values import ID_MAX_CHARS, SOURCE_MAX_CHARS, TEAM_MAX_CHARS
from crm_sales.validation import SalesInputError, collect, raise_if_any, text, texts

MAX_RULES = 200
MAX_CRITERIA = 50  # pipelines or sources one rule names
NAME_MAX_CHARS = 100


class RuleError(SalesInputError):
    """An assignment rule the ADMIN's input cannot make."""


class OwnerReason(StrEnum):
    """Why a deal has the owner it has."""

    NAMED = "NAMED"  # its writer named the owner or the team
    RULE = "RULE"  # an assignment rule picked a member of its team
    CUSTOMER_OWNER = "CUSTOMER_OWNER"  # the customer's owner
    CREATOR = "CREATOR"  # nobody else: whoever opened it
    ASSIGNED = "ASSIGNED"  # assignOpportunity or bulkAssignOpportunities


def source_key(value: str | None) -> str:
    """A source as rules compare it: case and runs of spaces aside."""
    return " ".join((value or "").split()).casefold()


@dataclass(frozen=True, slots=True)
class DealFacts:
    """What rules match a new deal on."""

    pipeline_id: str
    source: str | None
    amount_in_base: Money | None  # None: no amount, or no rate to convert it


@dataclass(frozen=True, slots=True)
class OpportunityRule:
    id: str
    name: str
    team: str
    strategy: Strategy
    position: int = 0
    pipeline_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    amount_min: Money | None = None  # in the base currency, included
    amount_max: Money | None = None  # in the base currency, excluded
    active: bool = True
    version: int = 1
    updated_at: datetime | None = None
    updated_by: str | None = None

    def matches(self, deal: DealFacts) -> bool:
        return (
            (not self.pipeline_ids or deal.pipeline_id in self.pipeline_ids)
            and (not self.sources or source_key(deal.source) in map(source_key, self.sources))
            and self._in_band(deal.amount_in_base)
        )

    def _in_band(self, amount: Money | None) -> bool:
        if self.amount_min is None and self.amount_max is None:
            return True
        if amount is None:
            return False
        low, high = self.amount_min, self.amount_max
        return (low is None or _above(amount, low, inclusive=True)) and (
            high is None or _above(high, amount, inclusive=False)
        )


def _above(value: Money, bound: Money, *, inclusive: bool) -> bool:
    """`value` at or above `bound` (above only, unless `inclusive`); amounts of another
    currency (rules saved under another base currency) never compare."""
    if value.currency != bound.currency:
        return False
    return value.amount >= bound.amount if inclusive else value.amount > bound.amount


@dataclass(frozen=True, slots=True)
class RuleDraft:
    """A rule as the ADMIN gives it (amounts as decimal strings in the base currency)."""

    name: str
    team: str
    strategy: Strategy = Strategy.ROUND_ROBIN
    position: int = 0
    pipeline_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    amount_min: str | None = None
    amount_max: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Known:
    """What a draft is checked against: the pipelines, the base currency, and whether sales
    knows anyone of the draft's team."""

    pipeline_ids: Collection[str]
    base_currency: str
    team_known: bool


def validated(
    draft: RuleDraft, known: Known, *, id: str, version: int, actor: str, now: datetime
) -> OpportunityRule:
    """The rule a draft makes, or RuleError naming every field it refuses."""
    errors: list[FieldError] = []
    name = text(errors, "name", " ".join(draft.name.split()), limit=NAME_MAX_CHARS, required=True)
    team = text(errors, "team", draft.team, limit=TEAM_MAX_CHARS, required=True)
    if team is not None and not known.team_known:
        errors.append(FieldError("team", "UNKNOWN_TEAM", f"nobody of team {team} uses sales"))
    pipelines = texts(
        errors, "pipelineIds", draft.pipeline_ids, limit=ID_MAX_CHARS, most=MAX_CRITERIA
    )
    errors += [
        FieldError(f"pipelineIds[{i}]", "UNKNOWN_PIPELINE", f"no pipeline {p}")
        for i, p in enumerate(pipelines)
        if p not in known.pipeline_ids
    ]
    sources = texts(errors, "sources", draft.sources, limit=SOURCE_MAX_CHARS, most=MAX_CRITERIA)
    low = _amount(errors, "amountMin", draft.amount_min, known.base_currency)
    high = _amount(errors, "amountMax", draft.amount_max, known.base_currency)
    if low is not None and high is not None and high.amount <= low.amount:
        errors.append(FieldError("amountMax", "OUT_OF_RANGE", "amountMax must exceed amountMin"))
    raise_if_any(errors, RuleError, "The assignment rule is invalid")
    assert name is not None and team is not None
    return OpportunityRule(
        id=id,
        name=name,
        team=team,
        strategy=draft.strategy,
        position=draft.position,
        pipeline_ids=pipelines,
        sources=_distinct_sources(sources),
        amount_min=low,
        amount_max=high,
        active=draft.active,
        version=version,
        updated_at=now,
        updated_by=actor,
    )


def _amount(errors: list[FieldError], field: str, raw: str | None, base: str) -> Money | None:
    if raw is None or not raw.strip():
        return None
    return collect(errors, lambda: parse_amount(raw, base, field=field, currency_field=field))


def _distinct_sources(sources: tuple[str, ...]) -> tuple[str, ...]:
    """Sources that compare the same (`source_key`) count once, in their first spelling."""
    kept: dict[str, str] = {}
    for source in sources:
        kept.setdefault(source_key(source), " ".join(source.split()))
    return tuple(kept.values())


def reordered(
    rules: list[OpportunityRule], ids: list[str], *, actor: str, now: datetime
) -> list[OpportunityRule]:
    """The rules with `ids` first, in that order, and the others after them in their current
    order, renumbered 0, 1, 2 …; only those whose position changes get a new version.
    RuleError (`ids[i]` UNKNOWN_RULE, DUPLICATE_ID) for an id of no rule or one given twice."""
    by_id = {r.id: r for r in rules}
    errors: list[FieldError] = []
    for i, rule_id in enumerate(ids):
        if rule_id not in by_id:
            errors.append(FieldError(f"ids[{i}]", "UNKNOWN_RULE", f"no rule {rule_id}"))
        elif rule_id in ids[:i]:
            errors.append(FieldError(f"ids[{i}]", "DUPLICATE_ID", f"{rule_id} is given twice"))
    raise_if_any(errors, RuleError, "The rules cannot be put in this order")
    rest = [r.id for r in sorted(rules, key=lambda r: (r.position, r.id)) if r.id not in ids]
    return [
        _at(by_id[rule_id], position, actor=actor, now=now)
        for position, rule_id in enumerate([*ids, *rest])
    ]


def _at(rule: OpportunityRule, position: int, *, actor: str, now: datetime) -> OpportunityRule:
    if rule.position == position:
        return rule
    return replace(
        rule, position=position, version=rule.version + 1, updated_at=now, updated_by=actor
    )


@dataclass(frozen=True, slots=True)
class Choice:
    """Who a new deal goes to, in which team, and why; `rule` when a rule chose."""

    owner_id: str
    team: str | None
    reason: OwnerReason
    rule: OpportunityRule | None = None


@dataclass(frozen=True, slots=True)
class AssignedBy:
    """How a deal got its current owner: its create's choice, or the last assignment. The
    rule's name and strategy are kept as they were, so a rule deleted since still reads."""

    opportunity_id: str
    reason: OwnerReason
    actor_id: str
    at: datetime
    rule_id: str | None = None
    rule_name: str | None = None
    strategy: Strategy | None = None

    @classmethod
    def of(cls, opportunity_id: str, choice: Choice, *, actor: str, at: datetime) -> AssignedBy:
        rule = choice.rule
        return cls(
            opportunity_id,
            choice.reason,
            actor,
            at,
            rule_id=rule.id if rule else None,
            rule_name=rule.name if rule else None,
            strategy=rule.strategy if rule else None,
        )


def fallback(
    customer_owner: str | None,
    customer_team: str | None,
    *,
    creator: str,
    creator_team: str | None,
    may_hand_to_owner: bool,
) -> Choice:
    """No rule chose: the customer's owner when the creator may hand the deal to them (the
    caller says so: active, and within the creator's assign scope), else the creator."""
    if customer_owner == creator:
        return Choice(creator, creator_team, OwnerReason.CUSTOMER_OWNER)
    if customer_owner and may_hand_to_owner:
        return Choice(customer_owner, customer_team, OwnerReason.CUSTOMER_OWNER)
    return Choice(creator, creator_team, OwnerReason.CREATOR)


def payload_of(assigned: AssignedBy) -> dict[str, str | None]:
    """`assignedBy` as `opportunity.assigned.v1` carries it (ids and the reason only)."""
    return {"reason": str(assigned.reason), "ruleId": assigned.rule_id}
