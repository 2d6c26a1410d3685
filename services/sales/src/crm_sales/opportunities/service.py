"""Opportunity use cases: create (idempotent per key), update, move between stages (won and
lost included), reopen, and reorder on the board. Each runs in one unit of work that writes
the record, its stage and field history, its kanban rank (and the few neighbours a
renumbering moves), its outbox events and its audit entry — or nothing.

Every path into a stage goes through the stage gate of the domain (`model`), so no writer can
hold a deal in a stage it does not qualify for; line items are priced from a price book in
the same transaction, and their errors are answered together with the gate's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, FieldError
from crm_kit.events import new_id
from crm_kit.idempotency import Key, key_for
from crm_kit.mongo import Session
from crm_kit.policy import Action
from crm_kit.uow import Transaction
from crm_sales import access
from crm_sales.assignment.owners import Owners
from crm_sales.customers.model import CustomerView
from crm_sales.customers.queries import CustomerQueries
from crm_sales.history.store import HistoryRepository
from crm_sales.kanban import model as kanban
from crm_sales.line_items.model import LineItem
from crm_sales.money.model import RateTable
from crm_sales.money.queries import RateQueries
from crm_sales.opportunities import model
from crm_sales.opportunities import publishing as publish
from crm_sales.opportunities.model import Moved
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.opportunities.requests import (
    CardPosition,
    ChangeRequest,
    CreateRequest,
    MoveRequest,
)
from crm_sales.opportunities.store import OpportunityRepository
from crm_sales.opportunities.values import NewOpportunity, Opportunity
from crm_sales.pipelines.model import Pipeline
from crm_sales.pipelines.store import PipelineRepository
from crm_sales.products.service import Pricing
from crm_sales.reasons.store import ReasonRepository
from crm_sales.shared.clock import day_of
from crm_sales.shared.versioning import load_for_change
from crm_sales.shared.writes import Writes

NO_CHANGES = ChangeRequest()

# Called inside a write's transaction once it has written, before it commits: an import records
# its external key there (in the same transaction as the deal), and raising rolls the whole
# write back (an import's dry run, a change that changes nothing).
type AfterWrite = Callable[[Transaction, OpportunityRecord], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Catalogs:
    """What opportunity writes read besides opportunities."""

    customers: CustomerQueries
    pipelines: PipelineRepository
    reasons: ReasonRepository
    pricing: Pricing
    rates: RateQueries


class OpportunityService:
    def __init__(
        self,
        writes: Writes,
        opportunities: OpportunityRepository,
        history: HistoryRepository,
        catalogs: Catalogs,
        *,
        owners: Owners | None = None,
    ) -> None:
        self._writes = writes
        self._opportunities = opportunities
        self._history = history
        self._catalogs = catalogs
        self._owners = owners  # who owns a deal whose writer named nobody (assignment rules)

    async def record(self, opportunity_id: str) -> OpportunityRecord | None:
        found = await self._opportunities.find(opportunity_id)
        return OpportunityRecord(*found) if found is not None else None

    # --- create -------------------------------------------------------------------------

    async def create(
        self,
        principal: Principal,
        request: CreateRequest,
        idempotency_key: str | None = None,
        *,
        operation: str = "createOpportunity",
        admit: Callable[[CustomerView], None] | None = None,
        after: AfterWrite | None = None,
    ) -> OpportunityRecord:
        """A new opportunity of a customer the projection knows (an unknown or erased one:
        `customerId` UNKNOWN_CUSTOMER), through the gate of its first (or named) stage.
        `operation` scopes the idempotency key (the mutation's name); `admit` may refuse the
        customer (after the access check; a retry with a used key is answered before it);
        `after` runs in the write's transaction (`AfterWrite`)."""
        access.require_creator(principal)
        key = key_for(operation, principal, idempotency_key, request)

        async def write() -> OpportunityRecord:
            customer = await self._catalogs.customers.filed_under(request.customer_id)
            access.require_customer(principal, customer)
            if admit is not None:
                admit(customer)
            rates = await self._catalogs.rates.table()

            async def work(tx: Transaction) -> OpportunityRecord:
                created = await self._create(tx, principal, request, customer, rates, key)
                if after is not None:
                    await after(tx, created)
                return created

            return await self._writes.uow.run(work)

        return await self._writes.guards.once(key, "opportunity", self.record, write)

    async def _create(  # noqa: PLR0917 - one write's parts
        self,
        tx: Transaction,
        principal: Principal,
        request: CreateRequest,
        customer: CustomerView,
        rates: RateTable,
        key: Key | None,
    ) -> OpportunityRecord:
        now, session = self._writes.now(), tx.session
        pipeline = await self._pipeline(request.pipeline_id, session)
        reasons = (await self._catalogs.reasons.get(session)).codes()
        base = self._catalogs.rates.base
        items, errors = await self._priced(
            request.fields, model.pricing_currency(request.fields.currency, base), session
        )
        owner = request.owner_id if request.owner_id is not None else principal.sub
        command = NewOpportunity(
            customer_id=customer.id,
            name=request.name,
            owner_id=owner,
            pipeline_id=pipeline.id,
            team=request.team
            if request.team is not None
            else self._team(principal, owner, customer),
            stage_id=request.stage_id,
            changes=request.fields.changes(items, reason=request.reason, note=request.note),
        )
        moved = model.answered_together(
            errors,
            lambda: model.open_opportunity(
                command,
                id=new_id(),
                pipeline=pipeline,
                actor=principal.sub,
                now=now,
                reasons=reasons,
            ),
        )
        access.require(principal, Action.CREATE, moved.opportunity)
        placed, renumbered = await self._place(moved.opportunity, None, session)
        written = publish.Written.of(placed, pipeline, rates, day_of(now))
        await self._opportunities.add(written.doc, session)
        await self._opportunities.set_ranks(renumbered, session)
        await self._history.add(
            moved.stage_change, (), session, version=placed.version, booked=written.booked_doc()
        )
        await self._writes.guards.claim(key, placed.id, now, session)
        publish.emit_created(tx, written, principal.sub)
        publish.record_audit(tx, "opportunity.create", written, moved.stage_change)
        if self._owners is None:
            return written.record
        named = request.owner_id is not None or request.team is not None
        return await self._owners.settle(
            tx, principal, written, named=named, customer=customer, pipeline=pipeline, rates=rates
        )

    @staticmethod
    def _team(principal: Principal, owner: str, customer: CustomerView) -> str | None:
        """The team of a new deal when none is given: the caller's for their own deal, else
        the customer's."""
        return (principal.team if owner == principal.sub else customer.team) or None

    # --- update -------------------------------------------------------------------------

    async def update(
        self,
        principal: Principal,
        opportunity_id: str,
        fields: ChangeRequest,
        expected_version: int | None = None,
        *,
        after: AfterWrite | None = None,
    ) -> OpportunityRecord:
        """The fields changed; a field its stage requires cannot be emptied (`after`: see
        `AfterWrite`)."""
        rates = await self._catalogs.rates.table()

        async def work(tx: Transaction) -> OpportunityRecord:
            now, session = self._writes.now(), tx.session
            current = await self._load(principal, opportunity_id, expected_version, session)
            pipeline = await self._pipeline(current.pipeline_id, session)
            code = model.pricing_currency(fields.currency, current.currency)
            items, errors = await self._priced(fields, code, session)
            updated = model.answered_together(
                errors,
                lambda: model.update(
                    current, fields.changes(items), pipeline=pipeline, actor=principal.sub, now=now
                ),
            )
            written = publish.Written.of(updated.opportunity, pipeline, rates, day_of(now))
            await self._opportunities.save(written.doc, current.version, session)
            await self._history.add(
                None, updated.field_changes, session, version=updated.opportunity.version
            )
            changed = publish.changed_fields(current, updated.opportunity)
            if changed:
                publish.emit_updated(tx, written, changed, principal.sub)
            publish.record_audit(tx, "opportunity.update", written, None, updated.field_changes)
            if after is not None:
                await after(tx, written.record)
            return written.record

        return await self._writes.uow.run(work)

    # --- moves --------------------------------------------------------------------------

    async def move(
        self, principal: Principal, request: MoveRequest, *, after: AfterWrite | None = None
    ) -> OpportunityRecord:
        """Into another stage through its gate (a won or lost one with a reason from the
        ADMIN's list); with `reopen`, a closed deal back to an open stage; into its own stage
        with only a position, a reorder within the column (`after`: see `AfterWrite`; not
        called for a reorder)."""
        rates = await self._catalogs.rates.table()

        async def work(tx: Transaction) -> OpportunityRecord:
            session = tx.session
            current = await self._load(
                principal, request.opportunity_id, request.expected_version, session
            )
            pipeline = await self._pipeline(current.pipeline_id, session)
            if self._is_reorder(current, request):
                assert request.position is not None
                return await self._reorder(current, request.position, session)
            moved = await self._moved(principal, current, pipeline, request, session)
            placed, renumbered = await self._place(moved.opportunity, request.position, session)
            written = publish.Written.of(placed, pipeline, rates, day_of(placed.updated_at))
            await self._opportunities.save(written.doc, current.version, session)
            await self._opportunities.set_ranks(renumbered, session)
            booked = written.booked_doc()
            await self._history.add(
                moved.stage_change,
                moved.field_changes,
                session,
                version=placed.version,
                booked=booked,
            )
            publish.emit_moved(tx, written, moved.stage_change)
            action = "opportunity.reopen" if request.reopen else "opportunity.move"
            publish.record_audit(tx, action, written, moved.stage_change, moved.field_changes)
            if after is not None:
                await after(tx, written.record)
            return written.record

        return await self._writes.uow.run(work)

    @staticmethod
    def _is_reorder(current: Opportunity, request: MoveRequest) -> bool:
        return (
            request.stage_id == current.stage_id
            and request.position is not None
            and not request.reopen
            and request.fields == NO_CHANGES
            and request.reason is None
            and request.note is None
        )

    async def _moved(
        self,
        principal: Principal,
        current: Opportunity,
        pipeline: Pipeline,
        request: MoveRequest,
        session: Session,
    ) -> Moved:
        now = self._writes.now()
        reasons = (await self._catalogs.reasons.get(session)).codes()
        code = model.pricing_currency(request.fields.currency, current.currency)
        items, errors = await self._priced(request.fields, code, session)
        if request.reopen:
            changes = request.fields.changes(items, note=request.note)
            return model.answered_together(
                errors,
                lambda: model.reopen(
                    current,
                    request.stage_id,
                    pipeline=pipeline,
                    reason=request.reason or "",
                    changes=changes,
                    actor=principal.sub,
                    now=now,
                ),
            )
        changes = request.fields.changes(items, reason=request.reason, note=request.note)
        return model.answered_together(
            errors,
            lambda: model.move(
                current,
                request.stage_id,
                pipeline=pipeline,
                changes=changes,
                actor=principal.sub,
                now=now,
                reasons=reasons,
            ),
        )

    async def _reorder(
        self, current: Opportunity, position: CardPosition, session: Session
    ) -> OpportunityRecord:
        """A card moved within its column: only ranks change (no version, no event)."""
        placed, renumbered = await self._place(current, position, session)
        await self._opportunities.set_ranks({**renumbered, placed.id: placed.rank}, session)
        found = await self._opportunities.find(current.id, session)
        assert found is not None
        return OpportunityRecord(*found)

    # --- shared steps -------------------------------------------------------------------

    async def _load(
        self,
        principal: Principal,
        opportunity_id: str,
        expected_version: int | None,
        session: Session,
    ) -> Opportunity:
        current = await load_for_change(
            self._opportunities.get,
            "Opportunity",
            opportunity_id,
            expected_version=expected_version,
            session=session,
        )
        access.require(principal, Action.UPDATE, current)
        return model.ensure_not_merged(current)

    async def _pipeline(self, pipeline_id: str, session: Session) -> Pipeline:
        found = await self._catalogs.pipelines.get(pipeline_id, session)
        if found is None:
            raise BadUserInput.single(
                "pipelineId", "UNKNOWN_PIPELINE", f"no pipeline {pipeline_id}"
            )
        return found

    async def _priced(
        self, fields: ChangeRequest, currency: str, session: Session
    ) -> tuple[tuple[LineItem, ...] | None, list[FieldError]]:
        """The line items priced (None: not given, or refused: then their errors)."""
        if fields.line_items is None:
            return None, []
        try:
            items = await self._catalogs.pricing.price(
                fields.line_items, currency=currency, book_id=fields.price_book_id, session=session
            )
        except BadUserInput as refused:
            return None, list(refused.field_errors)
        return items, []

    async def _place(
        self, opportunity: Opportunity, position: CardPosition | None, session: Session
    ) -> tuple[Opportunity, dict[str, int]]:
        """The card's rank in its (new) column: at `position`, else at the bottom; and the
        neighbours a renumbering moves."""
        column = await self._opportunities.column(
            opportunity.pipeline_id, opportunity.stage_id, session
        )
        others = [card for card in column if card.id != opportunity.id]
        index = position.index(column, opportunity.id) if position else len(others)
        placement = kanban.place(column, opportunity.id, index)
        return replace(opportunity, rank=placement.rank), dict(placement.renumbered)
