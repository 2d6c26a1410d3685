"""Opportunity assignment rule use cases (ADMIN writes; ADMIN and MANAGER read): create,
update, delete and reorder, each in one unit of work with its audit entry; reading the rules
and how deals got their owners; and recording who uses the service (the staff rules pick
from).

A draft is checked against the pipelines and the staff sales knows when it is written
(`pipelineIds[i]` UNKNOWN_PIPELINE, `team` UNKNOWN_TEAM); a pipeline or team that goes away
later leaves the rule matching nothing (or picking nobody), never failing a create.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pymongo.errors import PyMongoError

from crm_kit import audit
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, NotFound
from crm_kit.events import new_id
from crm_kit.idempotency import key_for
from crm_kit.uow import Transaction
from crm_sales.assignment.rules_model import (
    MAX_RULES,
    AssignedBy,
    Known,
    OpportunityRule,
    RuleDraft,
    reordered,
    validated,
)
from crm_sales.assignment.rules_store import AssignedByRepository, RuleRepository
from crm_sales.assignment.staff_store import SalesStaffRepository
from crm_sales.pipelines.queries import PipelineQueries
from crm_sales.shared.versioning import load_for_change
from crm_sales.shared.writes import Writes, require_admin

_log = logging.getLogger("crm_sales.assignment")


@dataclass(frozen=True, slots=True)
class RuleFilter:
    """Which rules a list shows: every condition given must hold."""

    pipeline_id: str | None = None  # rules naming it, or naming no pipeline (they match it too)
    team: str | None = None
    active: bool | None = None

    def keeps(self, rule: OpportunityRule) -> bool:
        return (
            (
                self.pipeline_id is None
                or not rule.pipeline_ids
                or self.pipeline_id in rule.pipeline_ids
            )
            and (self.team is None or rule.team == self.team)
            and (self.active is None or rule.active is self.active)
        )


class RuleService:
    def __init__(  # noqa: PLR0917 - the adapters it is handed
        self,
        writes: Writes,
        rules: RuleRepository,
        assigned_by: AssignedByRepository,
        staff: SalesStaffRepository,
        pipelines: PipelineQueries,
        base_currency: str,
    ) -> None:
        self._writes = writes
        self._rules = rules
        self._assigned_by = assigned_by
        self._staff = staff
        self._pipelines = pipelines
        self._base = base_currency

    # --- reads --------------------------------------------------------------------------

    async def list_rules(self, principal: Principal, where: RuleFilter) -> list[OpportunityRule]:
        """The rules `where` keeps, in the order they are tried (ADMIN, MANAGER)."""
        principal.require_role(Role.ADMIN, Role.MANAGER)
        return [rule for rule in await self._rules.all() if where.keeps(rule)]

    async def get_many(self, ids: list[str]) -> dict[str, OpportunityRule]:
        return await self._rules.get_many(ids)

    async def assigned_by(self, opportunity_ids: list[str]) -> dict[str, AssignedBy]:
        """How each deal got its owner; deals from before this was recorded have none."""
        return await self._assigned_by.get_many(opportunity_ids)

    async def provision(self, principal: Principal) -> None:
        """Record the caller in the staff rules pick from; a failure is logged, never fails
        the request it rides on."""
        try:
            await self._staff.provision(principal, self._writes.now())
        except PyMongoError:
            _log.warning("staff directory update failed", exc_info=True)

    # --- writes -------------------------------------------------------------------------

    async def create(
        self, principal: Principal, draft: RuleDraft, idempotency_key: str | None = None
    ) -> OpportunityRule:
        require_admin(principal)
        key = key_for("createOpportunityAssignmentRule", principal, idempotency_key, draft)
        now = self._writes.now()
        rule = validated(
            draft, await self._known(draft), id=new_id(), version=1, actor=principal.sub, now=now
        )

        async def work(tx: Transaction) -> OpportunityRule:
            if await self._rules.count(tx.session) >= MAX_RULES:
                raise BadUserInput.single("input", "TOO_MANY", f"at most {MAX_RULES} rules")
            await self._writes.guards.claim(key, rule.id, now, tx.session)
            await self._rules.add(rule, tx.session)
            _audit(tx, "opportunityAssignmentRule.create", rule)
            return rule

        async def write() -> OpportunityRule:
            return await self._writes.uow.run(work)

        return await self._writes.guards.once(
            key, "opportunityAssignmentRule", self._rules.get, write
        )

    async def update(
        self,
        principal: Principal,
        rule_id: str,
        draft: RuleDraft,
        expected_version: int | None = None,
    ) -> OpportunityRule:
        """The rule replaced by `draft` (every field), at its next version."""
        require_admin(principal)
        known = await self._known(draft)

        async def work(tx: Transaction) -> OpportunityRule:
            current = await self._load(rule_id, expected_version, tx)
            rule = validated(
                draft,
                known,
                id=current.id,
                version=current.version + 1,
                actor=principal.sub,
                now=self._writes.now(),
            )
            await self._rules.save(rule, current.version, tx.session)
            _audit(tx, "opportunityAssignmentRule.update", rule)
            return rule

        return await self._writes.uow.run(work)

    async def delete(
        self, principal: Principal, rule_id: str, expected_version: int | None = None
    ) -> bool:
        """False when there was no such rule (a repeated delete); deals it chose keep their
        owners and their `assignedBy` (its id and name as they were)."""
        require_admin(principal)

        async def work(tx: Transaction) -> bool:
            try:
                current = await self._load(rule_id, expected_version, tx)
            except NotFound:
                return False
            await self._rules.delete(rule_id, tx.session)
            _audit(tx, "opportunityAssignmentRule.delete", current)
            return True

        return await self._writes.uow.run(work)

    async def reorder(self, principal: Principal, ids: list[str]) -> list[OpportunityRule]:
        """Every rule in its new order (`rules_model.reordered`)."""
        require_admin(principal)

        async def work(tx: Transaction) -> list[OpportunityRule]:
            current = await self._rules.all(tx.session)
            by_id = {r.id: r for r in current}
            after = reordered(current, ids, actor=principal.sub, now=self._writes.now())
            for rule in after:
                if rule is not by_id[rule.id]:
                    await self._rules.save(rule, by_id[rule.id].version, tx.session)
            audit.record(
                tx,
                "opportunityAssignmentRule.reorder",
                "OpportunityAssignmentRule",
                "*",
                details={"order": [r.id for r in after]},
            )
            return after

        return await self._writes.uow.run(work)

    # --- shared steps -------------------------------------------------------------------

    async def _known(self, draft: RuleDraft) -> Known:
        """What the draft names that exists: read before the transaction (a rule is checked
        against what exists when it is written, see the module)."""
        wanted = [p.strip() for p in draft.pipeline_ids if p.strip()]
        found = await self._pipelines.get_many(wanted) if wanted else {}
        team = draft.team.strip()
        return Known(set(found), self._base, bool(team) and await self._staff.has_team(team))

    async def _load(
        self, rule_id: str, expected_version: int | None, tx: Transaction
    ) -> OpportunityRule:
        return await load_for_change(
            self._rules.get,
            "OpportunityAssignmentRule",
            rule_id,
            expected_version=expected_version,
            session=tx.session,
        )


def _audit(tx: Transaction, action: str, rule: OpportunityRule) -> None:
    audit.record(
        tx,
        action,
        "OpportunityAssignmentRule",
        rule.id,
        details={"version": rule.version, "team": rule.team, "active": rule.active},
    )
