"""Use case: choose the owner of a new customer by the ADMIN assignment rules.

Used by `CustomerCommands.create` (so every create path — the API and imports through it —
assigns by rule when no owner is given) and callable on its own, e.g. for an import preview.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_customer.assignment import Assignment, Strategy, first_match, pick
from crm_customer.catalog_store import CustomerLookups, RuleStore
from crm_customer.staff_repository import StaffDirectory

MAX_TEAM = 1000
OWNER_ROLE = "SALES"  # rules hand customers to the team's active salespeople


def _clean(value: str | None) -> str | None:
    return " ".join((value or "").split()) or None


@dataclass(frozen=True, slots=True)
class Assigner:
    rules: RuleStore
    staff: StaffDirectory
    lookups: CustomerLookups

    async def choose(
        self,
        province: str | None,
        city: str | None,
        industry: str | None,
        preview: bool = False,
    ) -> Assignment | None:
        """The owner by the first matching rule, or None (no rule matches, or the rule's team
        has no active SALES staff). Advances the rule's round-robin counter unless `preview`."""
        rule = first_match(await self.rules.all(), _clean(province), _clean(city), _clean(industry))
        if rule is None:
            return None
        team = await self.staff.list(rule.team, True, MAX_TEAM)
        members = [s.id for s in team if OWNER_ROLE in s.roles]
        if not members:
            return None
        loads = (
            await self.lookups.owner_loads(members)
            if rule.strategy is Strategy.LEAST_LOADED
            else {}
        )
        turn = (
            await self.rules.peek_turn(rule.id) if preview else await self.rules.next_turn(rule.id)
        )
        owner = pick(rule.strategy, members, turn, loads)
        return Assignment(owner, rule.team, rule.id, rule.strategy)
