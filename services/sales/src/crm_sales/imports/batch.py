"""One batch of an opportunity import: each row through the opportunity use cases, in order.

A row that creates a deal goes through `OpportunityService.create` — the customer's and the
caller's access, the pipeline, money and date checks and the stage gate of its stage, all in
one transaction, under an idempotency key of its own (`import:<job>:<row>`), so a batch re-run
after a crash creates nothing twice. Its external key is held in that same transaction
(`ExternalKeys.claim`), so a later row or a later import of the same key finds the deal: a
duplicate (CREATE_ONLY: FAILED; SKIP_DUPLICATES: SKIPPED), or with UPSERT by EXTERNAL_KEY the
deal to update. An UPSERT row updates its deal through `update` (a new stage: through `move`
and that stage's gate); a change that changes nothing is rolled back and counts as SKIPPED.

A dry run takes the same paths and rolls each write back inside its transaction (the
use cases' `after` hook raises `WouldWrite`), so it reports what the real run would, gate and
access included, and writes nothing; the external keys of the rows it would create are kept
as the job's file keys, so that later batches see them as the real run sees the deals.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_kit.auth import Principal
from crm_kit.errors import Conflict, CrmError
from crm_kit.events import utcnow
from crm_kit.imports.model import ImportMode, Outcome, RowProblem, RowResult
from crm_kit.imports.reports import refused
from crm_kit.uow import Transaction
from crm_sales.customers.queries import CustomerQueries
from crm_sales.imports.model import OpportunityImportJob, UpsertKey
from crm_sales.imports.references import Pipelines
from crm_sales.imports.rows import ParsedRow, column_of, parse_row
from crm_sales.imports.store import ExternalKeys, ImportJobRepository, KeyHolder
from crm_sales.opportunities.publishing import changed_fields
from crm_sales.opportunities.queries import OpportunityQueries, OpportunityRecord
from crm_sales.opportunities.requests import MoveRequest
from crm_sales.opportunities.service import OpportunityService
from crm_sales.opportunities.values import Opportunity
from crm_sales.pipelines.model import Pipeline
from crm_sales.pipelines.queries import PipelineQueries

OPERATION = "importOpportunities"  # scopes the rows' idempotency keys


class WouldWrite(Exception):
    """Raised inside a write's transaction to roll it back, with what it would have left."""

    def __init__(self, record: OpportunityRecord) -> None:
        super().__init__("rolled back")
        self.record = record


async def roll_back(tx: Transaction, record: OpportunityRecord) -> None:
    raise WouldWrite(record)


@dataclass(slots=True)
class Known:
    """What the rows of a batch are checked against, looked up once per batch and kept up to
    date as its rows create deals."""

    pipelines: Pipelines
    customers: Collection[str]
    holders: dict[str, KeyHolder]
    targets: dict[str, OpportunityRecord]
    added: dict[str, int] = field(default_factory=dict)  # a dry run's keys → first row


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    parsed: ParsedRow


def _upserting(job: OpportunityImportJob, key: UpsertKey) -> bool:
    return job.mode is ImportMode.UPSERT and job.upsert_key is key


def _duplicate(job: OpportunityImportJob, row: int, holder: KeyHolder) -> RowResult:
    """A row whose external key is held already: by an earlier row of this file or before."""
    in_file = holder.job_id == job.id
    code = "DUPLICATE_IN_FILE" if in_file else "DUPLICATE"
    if job.mode is ImportMode.SKIP_DUPLICATES:
        code = code if in_file else "DUPLICATE_SKIPPED"
        return RowResult(row, Outcome.SKIPPED, holder.opportunity_id, [("external_key", code)])
    return RowResult(row, Outcome.FAILED, holder.opportunity_id, [("external_key", code)])


@dataclass(frozen=True, slots=True)
class ImportBatch:
    opportunities: OpportunityService
    opportunity_queries: OpportunityQueries
    pipelines: PipelineQueries
    customers: CustomerQueries
    keys: ExternalKeys
    jobs: ImportJobRepository

    async def run(
        self, job: OpportunityImportJob, actor: Principal, staged: list[dict[str, Any]]
    ) -> list[RowResult]:
        """Each staged row's result, in order."""
        results: dict[int, RowResult] = {}
        rows: list[tuple[int, Row]] = []
        for pos, item in enumerate(staged):
            try:
                rows.append((pos, Row(int(item["row"]), parse_row(dict(item["cells"])))))
            except CrmError as exc:
                results[pos] = refused(int(item["row"]), exc, column_of)
        known = await self._known(job, [r for _, r in rows])
        for pos, r in rows:
            try:
                results[pos] = await self._row(job, actor, known, r)
            except (CrmError, RowProblem) as exc:
                results[pos] = refused(r.line, exc, column_of)
        if job.dry_run:
            await self.jobs.add_file_keys(job.id, known.added)
        return [results[pos] for pos in range(len(staged))]

    async def _known(self, job: OpportunityImportJob, rows: list[Row]) -> Known:
        parsed = [r.parsed for r in rows]
        customers = await self.customers.get_many(sorted({p.customer_id for p in parsed}))
        keys = {p.external_key for p in parsed if p.external_key}
        holders = await self.keys.holders(keys)
        if job.dry_run and rows:
            earlier = await self.jobs.file_keys(job.id, keys - holders.keys(), before=rows[0].line)
            holders |= {k: KeyHolder(None, job.id, line) for k, line in earlier.items()}
        ids = {h.opportunity_id for h in holders.values() if h.opportunity_id}
        if _upserting(job, UpsertKey.ID):
            ids |= {p.id for p in parsed if p.id}
        targets = await self.opportunity_queries.get_many(sorted(ids))
        return Known(Pipelines.of(await self.pipelines.all()), customers, holders, targets)

    async def _row(
        self, job: OpportunityImportJob, actor: Principal, known: Known, r: Row
    ) -> RowResult:
        pipeline = known.pipelines.pipeline(r.parsed.pipeline)
        stage_id = Pipelines.stage_id(pipeline, r.parsed.stage)
        if r.parsed.customer_id not in known.customers:
            raise RowProblem("customer_id", "UNKNOWN_CUSTOMER")
        if _upserting(job, UpsertKey.ID) and r.parsed.id:
            target = known.targets.get(r.parsed.id)
            if target is None:
                raise RowProblem("id", "NOT_FOUND")
            return await self._update(job, actor, r, target, (pipeline, stage_id))
        key = r.parsed.external_key
        holder = known.holders.get(key) if key else None
        if holder is None:
            return await self._create(job, actor, known, r, (pipeline, stage_id))
        if holder.job_id == job.id and holder.row == r.line:  # this row, before a restart
            return RowResult(r.line, Outcome.CREATED, holder.opportunity_id)
        if not _upserting(job, UpsertKey.EXTERNAL_KEY):
            return _duplicate(job, r.line, holder)
        if holder.opportunity_id is None:  # a dry run: the deal an earlier row would create
            return RowResult(r.line, Outcome.UPDATED)
        target = known.targets.get(holder.opportunity_id)
        if target is None:  # created by an earlier row of this batch
            target = await self.opportunity_queries.get(holder.opportunity_id)
        if target is None:  # pragma: no cover - a key is held with its deal
            raise RowProblem("external_key", "NOT_FOUND")
        return await self._update(job, actor, r, target, (pipeline, stage_id))

    async def _create(
        self,
        job: OpportunityImportJob,
        actor: Principal,
        known: Known,
        r: Row,
        place: tuple[Pipeline, str | None],
    ) -> RowResult:
        request = r.parsed.create_request(place[0].id, place[1])
        key = r.parsed.external_key
        if job.dry_run:
            with contextlib.suppress(WouldWrite):  # what the create would write, rolled back
                await self.opportunities.create(
                    actor, request, operation=OPERATION, after=roll_back
                )
            if key:
                known.holders[key] = KeyHolder(None, job.id, r.line)
                known.added.setdefault(key, r.line)
            return RowResult(r.line, Outcome.CREATED)

        async def hold(tx: Transaction, record: OpportunityRecord) -> None:
            if key:
                oid, at = record.opportunity.id, utcnow()
                await self.keys.claim(
                    key, oid, job_id=job.id, row=r.line, at=at, session=tx.session
                )

        try:
            created = await self.opportunities.create(
                actor, request, f"import:{job.id}:{r.line}", operation=OPERATION, after=hold
            )
        except DuplicateKeyError:  # another import holds the key since this batch looked
            return RowResult(r.line, Outcome.FAILED, errors=[("external_key", "DUPLICATE")])
        except Conflict:  # the row's idempotency key was used for another request
            return RowResult(r.line, Outcome.FAILED, errors=[("", "ERROR")])
        if key:
            known.holders[key] = KeyHolder(created.opportunity.id, job.id, r.line)
        return RowResult(r.line, Outcome.CREATED, created.opportunity.id)

    async def _update(
        self,
        job: OpportunityImportJob,
        actor: Principal,
        r: Row,
        target: OpportunityRecord,
        place: tuple[Pipeline, str | None],
    ) -> RowResult:
        """An UPSERT row's changes to its deal (of the same customer and pipeline); a new stage
        is a move through that stage's gate."""
        current = target.opportunity
        if current.customer_id != r.parsed.customer_id:
            raise RowProblem("customer_id", "CUSTOMER_MISMATCH")
        if current.pipeline_id != place[0].id:
            raise RowProblem("pipeline", "PIPELINE_MISMATCH")
        stage_id = place[1]
        try:
            if stage_id is not None and stage_id != current.stage_id:
                await self._move(job, actor, r, current, stage_id)
                return RowResult(r.line, Outcome.UPDATED, current.id)
            return await self._change(job, actor, r, current)
        except Conflict:  # changed by someone else since this batch read it
            return RowResult(r.line, Outcome.FAILED, current.id, [("", "STALE")])

    async def _move(
        self, job: OpportunityImportJob, actor: Principal, r: Row, current: Opportunity, stage: str
    ) -> None:
        request = MoveRequest(
            opportunity_id=current.id, stage_id=stage, expected_version=current.version,
            reason=r.parsed.reason, note=r.parsed.note, fields=r.parsed.changes(),
        )  # fmt: skip
        with contextlib.suppress(WouldWrite):  # a dry run's move, rolled back
            await self.opportunities.move(actor, request, after=roll_back if job.dry_run else None)

    async def _change(
        self, job: OpportunityImportJob, actor: Principal, r: Row, current: Opportunity
    ) -> RowResult:
        """The fields changed in the deal's stage: UPDATED, or SKIPPED when nothing would
        change (that write is rolled back, as every write of a dry run)."""

        async def check(tx: Transaction, record: OpportunityRecord) -> None:
            if job.dry_run or not changed_fields(current, record.opportunity):
                raise WouldWrite(record)

        changes = r.parsed.changes()
        try:
            await self.opportunities.update(
                actor, current.id, changes, current.version, after=check
            )
        except WouldWrite as rolled:
            changed = changed_fields(current, rolled.record.opportunity)
            return RowResult(r.line, Outcome.UPDATED if changed else Outcome.SKIPPED, current.id)
        return RowResult(r.line, Outcome.UPDATED, current.id)
