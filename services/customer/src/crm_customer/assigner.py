"""Use case: choose the owner of a new customer by the ADMIN assignment rules.

Used by `CustomerCommands.create` (so every create path — the API and imports through it —
assigns by rule when no owner is given) and callable on its own, e.g. for an import preview.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from crm_customer.assignment.model import Assignment, Strategy, first_match, pick
from crm_customer.catalog_store import CustomerLookups, RuleStore
from crm_customer.staff_repository import StaffDirectory

MAX_TEAM = 1000
OWNER_ROLE = "SALES"  # rules hand customers to the team's active salespeople
type Place = tuple[str | None, str | None, str | None]  # province, city, industry


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

    async def choose_many(self, places: Sequence[Place]) -> list[Assignment | None]:
        """`choose` for a batch of new customers (province, city, industry each), in order:
        the rules and each team are read once, each rule's counter is advanced once by the
        number of customers it takes, and LEAST_LOADED counts the batch's own picks."""
        rules = await self.rules.all()
        matched = [first_match(rules, *(_clean(v) for v in place)) for place in places]
        members: dict[str, list[str]] = {}
        loads: dict[str, dict[str, int]] = {}
        for used in {r.id: r for r in matched if r is not None}.values():
            team = await self.staff.list(used.team, True, MAX_TEAM)
            members[used.id] = [s.id for s in team if OWNER_ROLE in s.roles]
            if used.strategy is Strategy.LEAST_LOADED and members[used.id]:
                loads[used.id] = await self.lookups.owner_loads(members[used.id])
        wanted = Counter(r.id for r in matched if r is not None and members[r.id])
        turns = {rid: await self.rules.next_turns(rid, n) - n for rid, n in sorted(wanted.items())}
        out: list[Assignment | None] = []
        for rule in matched:
            if rule is None or not members[rule.id]:
                out.append(None)
                continue
            turns[rule.id] += 1
            rule_loads = loads.get(rule.id, {})
            owner = pick(rule.strategy, members[rule.id], turns[rule.id], rule_loads)
            if rule.strategy is Strategy.LEAST_LOADED:
                rule_loads[owner] = rule_loads.get(owner, 0) + 1
            out.append(Assignment(owner, rule.team, rule.id, rule.strategy))
        return out
