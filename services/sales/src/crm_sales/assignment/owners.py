"""The owner of a new deal: the last step of every create (the API, a converted lead, an
import: all go through `OpportunityService.create`), inside its transaction.

A deal is opened as the creator's (the create's access check judges that record). When its
writer named neither an owner nor a team, `Owners.settle` chooses (`rules_model`): a member
of the first matching rule's team, else the customer's owner (active, and within the
creator's assign scope), else the creator. A choice of someone else is an assignment like
`assignOpportunity`'s, in the same transaction: the record at its next version, `OWNER` /
`TEAM` field history, `opportunity.assigned.v1` (with `assignedBy`) after the create's
`opportunity.created.v1` — so the new owner is told once, by the assignment, and never by the
create (whose owner was its own actor) — and the audit entry. Every create records how its
deal got its owner (`AssignedBy`), named owners included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm_kit import assignment_rules
from crm_kit.assignment_rules import PICKED_ROLE, pick_member
from crm_kit.auth import Principal
from crm_kit.uow import Transaction
from crm_sales import access
from crm_sales.assignment.model import reassign
from crm_sales.assignment.rules_model import (
    AssignedBy,
    Choice,
    DealFacts,
    OpportunityRule,
    OwnerReason,
    fallback,
    payload_of,
)
from crm_sales.assignment.rules_store import AssignedByRepository, OwnerLoads, RuleRepository
from crm_sales.assignment.staff_store import SalesStaffRepository
from crm_sales.customers.model import CustomerView
from crm_sales.history.store import HistoryRepository
from crm_sales.money.model import RateTable
from crm_sales.opportunities import publishing as publish
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.opportunities.store import OpportunityRepository
from crm_sales.opportunities.values import Opportunity
from crm_sales.pipelines.model import Pipeline
from crm_sales.shared.clock import day_of


@dataclass(frozen=True, slots=True)
class Owners:
    rules: RuleRepository
    staff: SalesStaffRepository
    assigned_by: AssignedByRepository
    opportunities: OpportunityRepository
    history: HistoryRepository
    loads: OwnerLoads

    async def settle(
        self,
        tx: Transaction,
        principal: Principal,
        written: publish.Written,
        *,
        named: bool,
        customer: CustomerView,
        pipeline: Pipeline,
        rates: RateTable,
    ) -> OpportunityRecord:
        """The new deal with its owner: as written when `named` (its writer named the owner
        or the team) or when the choice is the creator, else handed to the chosen owner."""
        deal = written.opportunity
        choice = (
            Choice(deal.owner_id, deal.team, OwnerReason.NAMED)
            if named
            else await self.choose(tx, principal, written, customer)
        )
        assigned = AssignedBy.of(deal.id, choice, actor=principal.sub, at=deal.updated_at)
        await self.assigned_by.put(assigned, tx.session)
        done = reassign(
            deal,
            owner_id=choice.owner_id,
            team=choice.team,
            actor=principal.sub,
            now=deal.updated_at,
        )
        if not done.changed:
            return written.record
        handed = publish.Written.of(done.opportunity, pipeline, rates, day_of(deal.updated_at))
        await self.opportunities.save(handed.doc, deal.version, tx.session)
        version = done.opportunity.version
        await self.history.add(None, done.field_changes, tx.session, version=version)
        reason = payload_of(assigned)
        publish.emit_assigned(tx, handed, deal, principal.sub, assigned_by=reason)
        publish.record_audit(tx, "opportunity.assign", handed, None, done.field_changes)
        return handed.record

    async def choose(
        self,
        tx: Transaction,
        principal: Principal,
        written: publish.Written,
        customer: CustomerView,
    ) -> Choice:
        """A rule's pick, else the customer's owner, else the creator (see the module); read
        in the create's transaction, like the turn a rule takes."""
        deal = written.opportunity
        amount = written.conversion.amount if written.conversion is not None else None
        facts = DealFacts(deal.pipeline_id, deal.source, amount)
        rules = await self.rules.all(tx.session)
        rule = assignment_rules.first_match(rules, lambda r: r.matches(facts))
        if rule is not None and (picked := await self._by_rule(rule, deal, tx)) is not None:
            return picked
        owner, team = customer.owner_id, customer.team or deal.team
        may_hand = (
            owner is not None
            and access.may_hand_to(principal, owner, team)
            and await self.staff.is_active(owner, deal.updated_at, tx.session)
        )
        return fallback(
            owner,
            team,
            creator=principal.sub,
            creator_team=deal.team,
            may_hand_to_owner=may_hand,
        )

    async def _by_rule(
        self, rule: OpportunityRule, deal: Opportunity, tx: Transaction
    ) -> Choice | None:
        """A member of the rule's team (None: it has no active SALES member)."""
        session = tx.session
        members = await self.staff.members(rule.team, PICKED_ROLE, deal.updated_at, session)

        async def turn() -> int:
            return await self.rules.next_turn(rule.id, session)

        async def loads(owners: list[str]) -> Mapping[str, int]:
            return await self.loads.open_deals(owners, session, excluding=deal.id)

        owner = await pick_member(rule.strategy, members, turn, loads)
        return Choice(owner, rule.team, OwnerReason.RULE, rule) if owner is not None else None
