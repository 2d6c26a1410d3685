"""`mergeOpportunities` in one unit of work: the survivor updated (picked fields, united
contacts and line items, through the rules every update follows), the merged deal closed as
MERGED, history on both, `opportunity.merged.v1` and the audit entry — or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit import audit
from crm_kit.audit import Change
from crm_kit.auth import Principal
from crm_kit.idempotency import Key, key_for
from crm_kit.uow import Transaction
from crm_sales import access
from crm_sales.events import opportunity_merged
from crm_sales.history.store import HistoryRepository
from crm_sales.merge import model as merging
from crm_sales.merge.model import MergeField
from crm_sales.money.model import RateTable
from crm_sales.money.queries import RateQueries
from crm_sales.opportunities import model
from crm_sales.opportunities import publishing as publish
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.opportunities.store import OpportunityRepository
from crm_sales.opportunities.values import Opportunity
from crm_sales.pipelines.store import PipelineRepository
from crm_sales.shared.clock import day_of
from crm_sales.shared.versioning import load_for_change
from crm_sales.shared.writes import Writes


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """Hashable: its own idempotency fingerprint."""

    survivor_id: str
    merged_id: str
    survivor_version: int | None = None
    merged_version: int | None = None
    picks: frozenset[MergeField] = frozenset()


@dataclass(frozen=True, slots=True)
class Merged:
    survivor: OpportunityRecord
    merged: OpportunityRecord


class MergeService:
    def __init__(
        self,
        writes: Writes,
        opportunities: OpportunityRepository,
        history: HistoryRepository,
        pipelines: PipelineRepository,
        rates: RateQueries,
    ) -> None:
        self._writes = writes
        self._opportunities = opportunities
        self._history = history
        self._pipelines = pipelines
        self._rates = rates

    async def merge(
        self, principal: Principal, request: MergeRequest, idempotency_key: str | None = None
    ) -> Merged:
        """Merge `merged_id` into `survivor_id` (the merge scope on both: ADMIN any deals, a
        MANAGER their team's). A retry with the same key answers the first merge."""
        access.require_merger(principal)
        key = key_for("mergeOpportunities", principal, idempotency_key, request)
        rates = await self._rates.table()

        async def write() -> Merged:
            async def work(tx: Transaction) -> Merged:
                return await self._merge(tx, principal, request, rates, key)

            return await self._writes.uow.run(work)

        return await self._writes.guards.once(key, "opportunity", self.outcome, write)

    async def outcome(self, merged_id: str) -> Merged | None:
        """A merge as it stands, found by its merged deal (an idempotent retry's answer)."""
        merged = await self._opportunities.find(merged_id)
        into = merged[0].merged_into if merged is not None else None
        survivor = await self._opportunities.find(into.survivor_id) if into else None
        if merged is None or survivor is None:
            return None
        return Merged(OpportunityRecord(*survivor), OpportunityRecord(*merged))

    async def _load(
        self, principal: Principal, what: str, item: str, version: int | None, tx: Transaction
    ) -> Opportunity:
        found = await load_for_change(
            self._opportunities.get, what, item, expected_version=version, session=tx.session
        )
        access.require_merger(principal, found)
        return model.ensure_not_merged(found)

    async def _merge(
        self,
        tx: Transaction,
        principal: Principal,
        request: MergeRequest,
        rates: RateTable,
        key: Key | None,
    ) -> Merged:
        session, now, actor = tx.session, self._writes.now(), principal.sub
        survivor = await self._load(
            principal, "Opportunity", request.survivor_id, request.survivor_version, tx
        )
        merged = await self._load(
            principal, "Opportunity", request.merged_id, request.merged_version, tx
        )
        merging.check(survivor, merged)
        pipeline = await self._pipelines.get(survivor.pipeline_id, session)
        other = await self._pipelines.get(merged.pipeline_id, session)
        assert pipeline is not None and other is not None
        changes = merging.united_changes(survivor, merged, request.picks)
        updated = model.update(survivor, changes, pipeline=pipeline, actor=actor, now=now)
        history = (
            *updated.field_changes,
            merging.merged_from(survivor, merged.id, actor=actor, now=now),
        )
        closed = merging.close_merged(merged, survivor.id, pipeline=other, actor=actor, now=now)
        today = day_of(now)
        kept = publish.Written.of(updated.opportunity, pipeline, rates, today)
        gone = publish.Written.of(closed.opportunity, other, rates, today)
        await self._opportunities.save(kept.doc, survivor.version, session)
        await self._opportunities.save(gone.doc, merged.version, session)
        await self._history.add(None, history, session, version=updated.opportunity.version)
        await self._history.add(
            closed.stage_change, closed.field_changes, session, version=closed.opportunity.version
        )
        await self._writes.guards.claim(key, merged.id, now, session)
        payload = opportunity_merged.payload(
            kept.snapshot(), gone.snapshot(), sorted(request.picks), actor
        )
        tx.emit(opportunity_merged.TYPE, survivor.customer_id, payload)
        audit.record(
            tx,
            "opportunity.merge",
            "Opportunity",
            survivor.id,
            changes=[Change(str(c.field), c.old, c.new) for c in history],
            details={"customerId": survivor.customer_id, "mergedId": merged.id},
        )
        return Merged(kept.record, gone.record)
