"""Assignment rules (pure): who owns a new customer when nobody was named.

Rules are data, managed by ADMIN and tried in order (`position`, then id). A rule matches a
customer when every criterion it sets matches: province in `provinces`, city in `cities`,
industry section in `industries` (a rule with no criteria catches everything). The first
matching active rule names a team; among the team's active SALES staff (by id) the owner is
picked ROUND_ROBIN (a per-rule counter advanced atomically in the database) or LEAST_LOADED
(fewest live customers; ties broken by the same counter, so concurrent creates spread out
rather than all landing on the same person).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crm_customer import i18n
from crm_customer.customers.validators import INDUSTRY_SECTIONS
from crm_kit import assignment_rules
from crm_kit.assignment_rules import Strategy, pick
from crm_kit.errors import BadUserInput, FieldError

# The order, the strategies and the pick are the kit's (shared with the sales service's rules,
# and named here for this service's callers); what a rule matches on is this service's own.
__all__ = [
    "MAX_CRITERIA",
    "MAX_RULES",
    "MESSAGES",
    "Assignment",
    "Rule",
    "Strategy",
    "first_match",
    "pick",
    "validated",
]

MAX_RULES = 200
MAX_CRITERIA = 100

MESSAGES: dict[str, tuple[str, str]] = {
    "NO_ACTIVE_STAFF": ("该团队没有在职员工", "The team has no active staff"),
}

i18n.register(MESSAGES)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    team: str
    strategy: Strategy
    position: int = 0
    provinces: list[str] = field(default_factory=list)
    cities: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    active: bool = True
    updated_at: datetime | None = None
    updated_by: str | None = None

    def matches(self, province: str | None, city: str | None, industry: str | None) -> bool:
        return (
            self.active
            and (not self.provinces or province in self.provinces)
            and (not self.cities or city in self.cities)
            and (not self.industries or (industry or "").upper() in self.industries)
        )


@dataclass(frozen=True, slots=True)
class Assignment:
    owner_id: str
    team: str
    rule_id: str
    strategy: str


def first_match(
    rules: Sequence[Rule], province: str | None, city: str | None, industry: str | None
) -> Rule | None:
    return assignment_rules.first_match(rules, lambda r: r.matches(province, city, industry))


def _names(values: list[str], path: str, errors: list[FieldError]) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(v.split()) for v in values if v.strip()))
    if len(cleaned) > MAX_CRITERIA:
        errors.append(FieldError(path, "TOO_MANY", f"At most {MAX_CRITERIA} entries"))
    return cleaned


def validated(draft: Rule, *, actor: str, now: datetime) -> Rule:
    errors: list[FieldError] = []
    name = " ".join(draft.name.split())
    if not name:
        errors.append(FieldError("name", "REQUIRED", "A name is required"))
    team = draft.team.strip()
    if not team:
        errors.append(FieldError("team", "REQUIRED", "A team is required"))
    industries = [i.upper() for i in _names(draft.industries, "industries", errors)]
    for i, code in enumerate(industries):
        if code not in INDUSTRY_SECTIONS:
            errors.append(FieldError(f"industries[{i}]", "INVALID_INDUSTRY", "Unknown section"))
    provinces = _names(draft.provinces, "provinces", errors)
    cities = _names(draft.cities, "cities", errors)
    if errors:
        raise BadUserInput(errors)
    return Rule(
        id=draft.id,
        name=name,
        team=team,
        strategy=draft.strategy,
        position=draft.position,
        provinces=provinces,
        cities=cities,
        industries=industries,
        active=draft.active,
        updated_at=now,
        updated_by=actor,
    )
