"""Import use cases: accept a file as a job (staged in bounded batches), and process a batch
of rows with the outcome `createCustomer` / `updateCustomer` would give each row in turn: the
rows that create customers are written in one transaction (`customers.batch.BatchCreate`),
the lookups of a batch (duplicates, upsert targets) are one query per kind, an UPSERT update
runs in its own transaction. A dry run (`dry_run.DryRun`) writes nothing and reports what
the real run would. The job keeps the active custom field definitions of the upload: they
make its columns and read its custom cells for as long as the job runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_customer.catalog.model import FieldDefinition
from crm_customer.customers.batch import BatchCreate, Item, ItemOutcome
from crm_customer.customers.model import Customer
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.service import WRITERS, CustomerService
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.imports.columns import BY_KEY, ColumnSet
from crm_customer.imports.dry_run import DryRun
from crm_customer.imports.model import UPSERT_COLUMN, Job, UpsertKey
from crm_customer.imports.reports import row_failure
from crm_customer.imports.rows import BatchRow, ParsedRow, parse_row, stage_rows
from crm_customer.imports.store import JobRepository
from crm_customer.imports.upsert import UpsertTargets, upserting
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Conflict, CrmError, Forbidden
from crm_kit.imports import tables
from crm_kit.imports.columns import missing_column_error
from crm_kit.imports.intake import Chunks, JobIntake, chunked, import_fields
from crm_kit.imports.model import ImportMode, ImportUpload, Outcome, RowProblem, RowResult
from crm_kit.uow import UnitOfWork

type Upload = ImportUpload[UpsertKey]


def _check_upsert_column(upload: Upload, headers: dict[str, str]) -> None:
    """An UPSERT names its customers by a column the file must have."""
    if upload.upsert_key is None or upload.mode is not ImportMode.UPSERT:
        return
    column = BY_KEY[UPSERT_COLUMN[upload.upsert_key]]
    if column.key not in headers:
        raise missing_column_error(column, f"UPSERT by {upload.upsert_key}")


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

    async def start(self, actor: Principal, upload: Upload) -> Job:
        """The upload as a queued job (its rows staged); the same `idempotencyKey` and file
        give the same job."""
        actor.require_role(*WRITERS)
        if upload.mode is ImportMode.UPSERT and upload.upsert_key is None:
            raise BadUserInput.single("upsertKey", "REQUIRED", "UPSERT needs an upsertKey")

        async def build(sha: str) -> tuple[Job, Chunks]:
            definitions = await self.customers.field_definitions()
            custom = tuple(d for d in definitions.values() if d.active)
            return self._read(actor, upload, sha, custom)

        return await JobIntake(self.uow, self.jobs).accept(actor, upload, build)

    def _read(
        self,
        actor: Principal,
        upload: Upload,
        sha: str,
        custom: tuple[FieldDefinition, ...],
    ) -> tuple[Job, Chunks]:
        """The file checked, read and staged in batches, and its job (not stored yet) with
        the custom field definitions that made its columns."""
        fmt, table = tables.read_upload(
            upload.data, upload.filename, max_bytes=self.max_bytes, max_rows=self.max_rows
        )
        columns = ColumnSet.of(custom)
        staged = stage_rows(table, columns)
        headers = columns.resolve_header(table[0][1]).headers
        _check_upsert_column(upload, headers)
        chunks = chunked(staged, self.batch_rows)
        fields = import_fields(
            actor, upload, str(fmt), sha, staged=len(staged), chunks=len(chunks), headers=headers
        )
        upsert_key = upload.upsert_key if upload.mode is ImportMode.UPSERT else None
        return Job(**fields, upsert_key=upsert_key, custom_fields=custom), chunks

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
