"""Assignment use cases: one opportunity to a new owner (and team) in one unit of work — the
record, its field history (`ownerId`, `team`), `opportunity.assigned.v1` and the audit entry,
or nothing — and many at once: each item in its own unit of work with its own result, at most
`bulk_max_items` per call (the customer service's bulk conventions), so one refusal neither
stops nor rolls back the others. Each change records how the deal got its owner (ASSIGNED);
the events of one bulk call name it as their `batch`, so its new owner gets one notice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, CrmError, FieldError
from crm_kit.events import new_id
from crm_kit.listing import OrderDirection
from crm_kit.mongo import Session
from crm_kit.policy import Action
from crm_kit.uow import Transaction
from crm_sales import access
from crm_sales.assignment.model import reassign
from crm_sales.assignment.rules_model import AssignedBy, OwnerReason
from crm_sales.assignment.rules_store import AssignedByRepository
from crm_sales.events.opportunity_assigned import BULK_ASSIGN
from crm_sales.history.store import HistoryRepository
from crm_sales.i18n import CATALOG
from crm_sales.money.queries import RateQueries
from crm_sales.opportunities import model
from crm_sales.opportunities import publishing as publish
from crm_sales.opportunities.queries import (
    OpportunityFilter,
    OpportunityOrderField,
    OpportunityQueries,
    OpportunityRecord,
    access_key,
    opportunity_order,
)
from crm_sales.opportunities.store import OpportunityRepository
from crm_sales.opportunities.values import ID_MAX_CHARS, TEAM_MAX_CHARS, Opportunity
from crm_sales.pipelines.store import PipelineRepository
from crm_sales.shared.clock import day_of, iso
from crm_sales.shared.versioning import load_for_change
from crm_sales.shared.writes import Writes
from crm_sales.validation import SalesInputError, raise_if_any, text

OLDEST_FIRST = opportunity_order(OpportunityOrderField.CREATED_AT, OrderDirection.ASC)


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What a bulk call did to one opportunity: its version after, or why it failed (a code
    and its text in the caller's language)."""

    id: str
    ok: bool
    version: int | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BulkResult:
    items: list[ItemResult]
    truncated: bool  # the filter matched more than one call may change

    @property
    def succeeded(self) -> int:
        return sum(1 for item in self.items if item.ok)


def failure(opportunity_id: str, error: CrmError) -> ItemResult:
    """An item's result for a refused change: a field error as `field: text`, else the
    error's code and message, in the caller's language."""
    if isinstance(error, BadUserInput) and error.field_errors:
        first = error.field_errors[0]
        said = CATALOG.text(first.code, first.message)
        return ItemResult(opportunity_id, False, code=first.code, message=f"{first.field}: {said}")
    code = str(error.extensions.get("code"))
    said = CATALOG.error_message(error.message, error.extensions, "", error.message_key)
    return ItemResult(opportunity_id, False, code=code, message=said)


def checked_owner(owner_id: str, team: str | None) -> None:
    """BAD_USER_INPUT for a blank or too long owner id or team, before anything is read."""
    errors: list[FieldError] = []
    text(errors, "ownerId", owner_id, limit=ID_MAX_CHARS, required=True)
    text(errors, "team", team, limit=TEAM_MAX_CHARS, required=False)
    raise_if_any(errors, SalesInputError)


class AssignmentService:
    def __init__(  # noqa: PLR0917 - the adapters it is handed
        self,
        writes: Writes,
        opportunities: OpportunityRepository,
        history: HistoryRepository,
        pipelines: PipelineRepository,
        rates: RateQueries,
        queries: OpportunityQueries,
        max_items: int = 500,
        *,
        assigned_by: AssignedByRepository,
    ) -> None:
        self._writes = writes
        self._assigned_by = assigned_by  # how each deal got its owner: ASSIGNED, here
        self._opportunities = opportunities
        self._history = history
        self._pipelines = pipelines
        self._rates = rates
        self._queries = queries
        self.max_items = max_items

    async def assign(
        self,
        principal: Principal,
        opportunity_id: str,
        owner_id: str,
        team: str | None = None,
        expected_version: int | None = None,
        *,
        batch: Mapping[str, Any] | None = None,
    ) -> OpportunityRecord:
        """The deal with a new owner (and team; None keeps it). The same owner and team again
        changes nothing and publishes nothing. A merged deal: CONFLICT naming its survivor.
        `batch`: the bulk call it is one of, named in its event."""
        access.require_some(principal, Action.ASSIGN)
        checked_owner(owner_id, team)
        rates = await self._rates.table()

        async def work(tx: Transaction) -> OpportunityRecord:
            session, now = tx.session, self._writes.now()
            current = await load_for_change(
                self._opportunities.get,
                "Opportunity",
                opportunity_id,
                expected_version=expected_version,
                session=session,
            )
            access.require_assigner(principal, current, owner_id, team)
            model.ensure_not_merged(current)
            done = reassign(current, owner_id=owner_id, team=team, actor=principal.sub, now=now)
            if not done.changed:
                return await self._record(current, session)
            pipeline = await self._pipelines.get(current.pipeline_id, session)
            assert pipeline is not None  # a deal's pipeline is never deleted
            written = publish.Written.of(done.opportunity, pipeline, rates, day_of(now))
            await self._opportunities.save(written.doc, current.version, session)
            version = done.opportunity.version
            await self._history.add(None, done.field_changes, session, version=version)
            assigned = AssignedBy(current.id, OwnerReason.ASSIGNED, principal.sub, now)
            await self._assigned_by.put(assigned, session)
            publish.emit_assigned(tx, written, current, principal.sub, batch=batch)
            publish.record_audit(tx, "opportunity.assign", written, None, done.field_changes)
            return written.record

        return await self._writes.uow.run(work)

    async def _record(self, current: Opportunity, session: Session) -> OpportunityRecord:
        found = await self._opportunities.find(current.id, session)
        return OpportunityRecord(*found) if found is not None else OpportunityRecord(current)

    async def bulk_assign(
        self,
        principal: Principal,
        *,
        ids: list[str] | None,
        where: OpportunityFilter | None,
        owner_id: str,
        team: str | None = None,
    ) -> BulkResult:
        """Each of `ids`, or of the deals `where` selects within the caller's bulk scope (the
        oldest first, `max_items` of them: `truncated` when more match), assigned on its own."""
        condition = access.condition(principal, Action.BULK)
        checked_owner(owner_id, team)
        targets, truncated = await self._targets(ids, where, condition)
        # One batch per call: its events name it, so the new owner hears of the call once.
        batch = {"kind": BULK_ASSIGN, "id": new_id(), "startedAt": iso(self._writes.now())}
        items = [await self._one(principal, target, owner_id, team, batch) for target in targets]
        return BulkResult(items, truncated)

    async def _targets(
        self, ids: list[str] | None, where: OpportunityFilter | None, condition: dict[str, object]
    ) -> tuple[list[str], bool]:
        if (ids is None) == (where is None):
            raise SalesInputError.single("ids", "IDS_OR_FILTER", "give either ids or a filter")
        if ids is not None:
            unique = list(dict.fromkeys(ids))
            if len(unique) > self.max_items:
                raise SalesInputError.single(
                    "ids", "TOO_MANY", f"at most {self.max_items} ids per call"
                )
            return unique, False
        assert where is not None
        scoped = replace(where, access=access_key(dict(condition)))
        page = await self._queries.page(scoped, OLDEST_FIRST, self.max_items, None)
        return [record.opportunity.id for record in page.items], page.has_next

    async def _one(
        self,
        principal: Principal,
        opportunity_id: str,
        owner_id: str,
        team: str | None,
        batch: Mapping[str, Any],
    ) -> ItemResult:
        try:
            done = await self.assign(principal, opportunity_id, owner_id, team, batch=batch)
        except CrmError as refused:
            return failure(opportunity_id, refused)
        return ItemResult(opportunity_id, True, version=done.opportunity.version)
