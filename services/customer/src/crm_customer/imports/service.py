"""Import use cases: accept a file as a job (staged in bounded batches), and process a batch
of rows with the outcome `createCustomer` / `updateCustomer` would give each row in turn: the
rows that create customers are written in one transaction (`customers.batch.BatchCreate`),
the lookups of a batch (duplicates, upsert targets) are one query per kind, an UPSERT update
runs in its own transaction. A dry run (`dry_run.DryRun`) writes nothing and reports what
the real run would. The job keeps the active custom field definitions of the upload: they
make its columns and read its custom cells for as long as the job runs."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_customer.catalog.model import FieldDefinition
from crm_customer.customers.batch import BatchCreate, Item, ItemOutcome
from crm_customer.customers.model import Customer
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.service import WRITERS, CustomerService
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.imports import files
from crm_customer.imports.columns import BY_KEY, ColumnSet
from crm_customer.imports.dry_run import DryRun
from crm_customer.imports.model import (
    UPSERT_COLUMN,
    ImportMode,
    ImportUpload,
    Job,
    JobKind,
    JobStatus,
    Outcome,
    RowResult,
)
from crm_customer.imports.reports import RowProblem, row_failure
from crm_customer.imports.rows import BatchRow, ParsedRow, parse_row, stage_rows
from crm_customer.imports.store import JobRepository
from crm_customer.imports.upsert import UpsertTargets, upserting
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Conflict, CrmError, Forbidden
from crm_kit.events import utcnow
from crm_kit.uow import Transaction, UnitOfWork

type Chunks = list[list[dict[str, Any]]]


def _check_upsert_column(upload: ImportUpload, headers: dict[str, str]) -> None:
    """An UPSERT names its customers by a column the file must have."""
    if upload.upsert_key is None or upload.mode is not ImportMode.UPSERT:
        return
    column = BY_KEY[UPSERT_COLUMN[upload.upsert_key]]
    if column.key not in headers:
        raise BadUserInput.single(
            "file",
            "MISSING_COLUMNS",
            f"UPSERT by {upload.upsert_key} needs the column {column.zh} ({column.en})",
        )


@dataclass(frozen=True, slots=True)
class ImportService:
    uow: UnitOfWork
    jobs: JobRepository
    customers: CustomerService
    queries: CustomerQueries
    duplicates: DuplicateDetector
    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 50_000
    batch_rows: int = 50

    @property
    def targets(self) -> UpsertTargets:
        return UpsertTargets(self.queries, self.duplicates)

    async def start(self, actor: Principal, upload: ImportUpload) -> Job:
        """The upload as a queued job (its rows staged); the same `idempotencyKey` and file
        give the same job."""
        actor.require_role(*WRITERS)
        if upload.mode is ImportMode.UPSERT and upload.upsert_key is None:
            raise BadUserInput.single("upsertKey", "REQUIRED", "UPSERT needs an upsertKey")
        sha = hashlib.sha256(upload.data).hexdigest()
        guard = f"{actor.sub}:{upload.idempotency_key}" if upload.idempotency_key else None
        if guard and (existing := await self._existing(guard, sha)):
            return existing
        definitions = await self.customers.field_definitions()
        custom = tuple(d for d in definitions.values() if d.active)
        job, chunks = self._read(actor, upload, sha, custom)
        await self.jobs.stage(job.id, chunks)
        return await self._queue(job, guard)

    def _read(
        self,
        actor: Principal,
        upload: ImportUpload,
        sha: str,
        custom: tuple[FieldDefinition, ...],
    ) -> tuple[Job, Chunks]:
        """The file checked, read and staged in batches, and its job (not stored yet) with
        the custom field definitions that made its columns."""
        if len(upload.data) > self.max_bytes:
            raise BadUserInput.single(
                "file", "FILE_TOO_LARGE", f"The file is larger than {self.max_bytes} bytes"
            )
        fmt = files.detect(upload.data, upload.filename)
        table = files.read_table(upload.data, fmt, self.max_rows)
        columns = ColumnSet.of(custom)
        staged = stage_rows(table, columns)
        headers = columns.resolve_header(table[0][1]).headers
        _check_upsert_column(upload, headers)
        size = self.batch_rows
        chunks = [staged[i : i + size] for i in range(0, len(staged), size)]
        job = Job(
            id=uuid.uuid4().hex,
            kind=JobKind.IMPORT,
            status=JobStatus.QUEUED,
            actor=actor.sub,
            actor_roles=tuple(sorted(str(r) for r in actor.roles)),
            actor_team=actor.team,
            created_at=utcnow(),
            format=str(fmt),
            mode=upload.mode,
            upsert_key=upload.upsert_key if upload.mode is ImportMode.UPSERT else None,
            dry_run=upload.dry_run,
            file_name=upload.filename[:200],
            file_sha256=sha,
            total=len(staged),
            chunk_count=len(chunks),
            headers=headers,
            custom_fields=custom,
        )
        return job, chunks

    async def _queue(self, job: Job, guard: str | None) -> Job:
        """Store the job (with its idempotency guard); a concurrent upload with the same key
        that won gets its job returned and this one's staged rows dropped."""

        async def work(tx: Transaction) -> str:
            if guard:
                if (winner := await self.jobs.job_for_key(guard, tx.session)) is not None:
                    return winner
                await self.jobs.claim_key(guard, job.id, job.created_at, tx.session)
            await self.jobs.insert(job, tx.session)
            return job.id

        try:
            job_id: str | None = await self.uow.run(work)
        except DuplicateKeyError:  # a concurrent upload with the same key won
            job_id = (await self.jobs.job_for_key(guard)) if guard else None
            if job_id is None:
                raise
        if job_id is not None and job_id != job.id:
            await self.jobs.discard(job.id, job.chunk_count)
            found = await self.jobs.get(job_id)
            assert found is not None
            return found
        return job

    async def _existing(self, guard: str, sha: str) -> Job | None:
        job_id = await self.jobs.job_for_key(guard)
        if job_id is None:
            return None
        job = await self.jobs.get(job_id)
        if job is None:
            return None
        if job.file_sha256 != sha:
            raise Conflict(
                "This idempotencyKey was used for a different file", conflicting_id=job.id
            )
        return job

    # --- one row ------------------------------------------------------------------------------

    async def process(self, job: Job, actor: Principal, staged: dict[str, Any]) -> RowResult:
        """One row as `createCustomer` / `updateCustomer` would take it (a batch of one)."""
        return (await self.process_batch(job, actor, [staged]))[0]

    # --- a batch of rows ----------------------------------------------------------------------

    async def process_batch(
        self, job: Job, actor: Principal, rows: list[dict[str, Any]]
    ) -> list[RowResult]:
        """Each row's result exactly as `process` would give it row after row, at a fixed
        cost per batch: one query per lookup kind, and the rows that create customers
        written in one transaction (`BatchCreate`)."""
        results: dict[int, RowResult] = {}
        parsed: list[BatchRow] = []
        for pos, staged in enumerate(rows):
            row, cells, dup_of = int(staged["row"]), dict(staged["cells"]), staged.get("dup_of")
            try:
                parsed.append(
                    BatchRow(pos, row, cells, dup_of, parse_row(cells, job.custom_fields))
                )
            except BadUserInput as exc:
                results[pos] = row_failure(job, row, cells, exc, dup_of)
        if job.dry_run:
            await DryRun(self.jobs, self.targets, self.duplicates).batch(
                job, actor, parsed, results
            )
        else:
            await self._apply_batch(job, actor, parsed, results)
        return [results[pos] for pos in range(len(rows))]

    async def _apply_batch(
        self, job: Job, actor: Principal, rows: list[BatchRow], results: dict[int, RowResult]
    ) -> None:
        """Rows in order; consecutive creates are written together. In UPSERT mode an update
        runs after the creates before it, and a row whose key an earlier row of this batch
        also names looks its target up again (the earlier row may have just created it)."""
        pending: list[BatchRow] = []
        targets = await self.targets.of_rows(job, [r.cells for r in rows]) if upserting(job) else []
        earlier: set[int] = set()
        for r, looked_up in zip(rows, targets or [None] * len(rows), strict=True):
            if upserting(job):
                target = looked_up
                if r.dup_of is not None and r.dup_of in earlier:  # looked up after that row
                    await self._create_rows(job, actor, pending, results)
                    pending = []
                    target = await self.targets.of_row(job, r.cells)
                earlier.add(r.row)
                if target is not None:
                    await self._create_rows(job, actor, pending, results)
                    pending = []
                    try:
                        if isinstance(target, RowProblem):
                            raise target
                        results[r.pos] = await self._update(actor, r.row, r.parsed, target)
                    except (CrmError, RowProblem) as exc:
                        results[r.pos] = row_failure(job, r.row, r.cells, exc, r.dup_of)
                    continue
            pending.append(r)
        await self._create_rows(job, actor, pending, results)

    async def _create_rows(
        self, job: Job, actor: Principal, rows: list[BatchRow], results: dict[int, RowResult]
    ) -> None:
        if not rows:
            return
        items = [Item(r.parsed.new_customer(), f"import:{job.id}:{r.row}") for r in rows]
        try:
            outcomes: list[ItemOutcome] = await BatchCreate(self.customers).create_many(
                actor, items
            )
        except Forbidden as exc:
            outcomes = [exc] * len(rows)
        for r, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, Customer):
                results[r.pos] = RowResult(r.row, Outcome.CREATED, outcome.id)
            else:
                results[r.pos] = row_failure(job, r.row, r.cells, outcome, r.dup_of)

    async def _update(
        self, actor: Principal, row: int, parsed: ParsedRow, target: Customer
    ) -> RowResult:
        if target.kind is not parsed.kind:
            raise RowProblem("kind", "KIND_MISMATCH")
        for attempt in range(2):
            try:
                updated = await self.customers.update(
                    actor, target.id, target.version, parsed.changes()
                )
            except Conflict as exc:
                if exc.extensions.get("rule") or attempt:
                    raise
                target = await self.queries.get(target.id)
                continue
            if updated.version == target.version:
                return RowResult(row, Outcome.SKIPPED, target.id)  # nothing to change
            return RowResult(row, Outcome.UPDATED, target.id)
        raise RowProblem("", "STALE")  # pragma: no cover - the loop returns or raises
