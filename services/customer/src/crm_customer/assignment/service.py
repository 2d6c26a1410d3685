"""Assignment use cases: choose the owner of a new customer by the ADMIN rules (`Assigner`),
and manage the rules (`AssignmentService`).

The assigner is used by `CustomerService.create` (so every create path — the API and imports
through it — assigns by rule when no owner is given) and by the ADMIN preview.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from crm_customer.assignment.model import (
    MAX_RULES,
    Assignment,
    Rule,
    Strategy,
    first_match,
    pick,
    validated,
)
from crm_customer.assignment.store import RuleRepository
from crm_customer.customers.queries import CustomerQueries
from crm_customer.staff.store import StaffRepository
from crm_kit.assignment_rules import MAX_TEAM, PICKED_ROLE, pick_member
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, NotFound
from crm_kit.events import utcnow
from crm_kit.idempotency import IdempotencyGuards, key_for
from crm_kit.uow import Transaction, UnitOfWork

OWNER_ROLE = PICKED_ROLE  # rules hand customers to the team's active salespeople
type Place = tuple[str | None, str | None, str | None]  # province, city, industry


def _clean(value: str | None) -> str | None:
    return " ".join((value or "").split()) or None


@dataclass(frozen=True, slots=True)
class Assigner:
    rules: RuleRepository
    staff: StaffRepository
    lookups: CustomerQueries  # each owner's load of live customers (LEAST_LOADED)

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
        take = self.rules.peek_turn if preview else self.rules.next_turn
        owner = await pick_member(
            rule.strategy, members, lambda: take(rule.id), self.lookups.owner_loads
        )
        if owner is None:
            return None
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


@dataclass(frozen=True, slots=True)
class AssignmentService:
    uow: UnitOfWork
    rules: RuleRepository
    guards: IdempotencyGuards
    assigner: Assigner

    async def list_rules(self) -> list[Rule]:
        """The rules in the order they are tried."""
        return await self.rules.all()

    async def preview(
        self, province: str | None, city: str | None, industry: str | None
    ) -> Assignment | None:
        """Who the rules would pick now (takes no round-robin turn)."""
        return await self.assigner.choose(province, city, industry, preview=True)

    async def save_rule(
        self, actor: Principal, draft: Rule, idempotency_key: str | None = None
    ) -> Rule:
        """Create (no id) or replace a rule."""
        actor.require_role(Role.ADMIN)
        key = key_for("saveAssignmentRule", actor, idempotency_key or None, draft)
        if done := await self.guards.first_result_id(key, "AssignmentRule"):
            found = await self.rules.get(done)
            if found is not None:
                return found
        rule = validated(
            replace(draft, id=draft.id or uuid.uuid4().hex), actor=actor.sub, now=utcnow()
        )

        async def work(tx: Transaction) -> Rule:
            if not draft.id and len(await self.rules.all(tx.session)) >= MAX_RULES:
                raise BadUserInput.single("id", "TOO_MANY", "Too many rules")
            if draft.id and await self.rules.get(draft.id, tx.session) is None:
                raise NotFound("AssignmentRule", draft.id)
            await self.guards.claim(key, rule.id, utcnow(), tx.session)
            await self.rules.put(rule, tx.session)
            return rule

        return await self.uow.run(work)

    async def delete_rule(self, actor: Principal, id: str) -> bool:
        actor.require_role(Role.ADMIN)

        async def work(tx: Transaction) -> bool:
            return await self.rules.delete(id, tx.session)

        return await self.uow.run(work)
