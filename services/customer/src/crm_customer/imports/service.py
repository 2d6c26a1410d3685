"""Import use cases: accept a file as a job (staged in bounded batches), and process a batch
of rows with the outcome `createCustomer` / `updateCustomer` would give each row in turn: the
rows that create customers are written in one transaction (`customers.batch.BatchCreate`),
the lookups of a batch (duplicates, upsert targets) are one query per kind, an UPSERT update
runs in its own transaction."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_customer.customers import model
from crm_customer.customers.batch import BatchCreate, Item, ItemOutcome
from crm_customer.customers.model import Customer
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.service import WRITERS, CustomerService, validated
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.duplicates.model import rank
from crm_customer.imports import files
from crm_customer.imports.columns import BY_KEY, resolve_header
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
from crm_customer.imports.rows import ParsedRow, parse_row, row_errors, stage_rows
from crm_customer.imports.store import JobRepository
from crm_customer.imports.upsert import RowProblem, UpsertTargets, upserting
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Conflict, CrmError, Forbidden
from crm_kit.events import utcnow
from crm_kit.uow import Transaction, UnitOfWork

RULE_COLUMN = {"ID_CARD": "id_card_number", "USCC": "uscc", "PHONE": "phones", "EMAIL": "emails"}
type Chunks = list[list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class _Row:
    pos: int  # index in its batch
    row: int  # line in the file
    cells: dict[str, str]
    dup_of: int | None  # an earlier line with the same phone, email, ID or credit code
    parsed: ParsedRow


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
        job, chunks = self._read(actor, upload, sha)
        await self.jobs.stage(job.id, chunks)
        return await self._queue(job, guard)

    def _read(self, actor: Principal, upload: ImportUpload, sha: str) -> tuple[Job, Chunks]:
        """The file checked, read and staged in batches, and its job (not stored yet)."""
        if len(upload.data) > self.max_bytes:
            raise BadUserInput.single(
                "file", "FILE_TOO_LARGE", f"The file is larger than {self.max_bytes} bytes"
            )
        fmt = files.detect(upload.data, upload.filename)
        table = files.read_table(upload.data, fmt, self.max_rows)
        staged = stage_rows(table)
        headers = resolve_header(table[0][1]).headers
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

    def _failure(
        self, job: Job, row: int, exc: CrmError | RowProblem, dup_of: int | None
    ) -> RowResult:
        """The row result of a row refused with `exc`."""
        if isinstance(exc, BadUserInput):
            return RowResult(row, Outcome.FAILED, errors=row_errors(exc))
        if isinstance(exc, RowProblem):
            return RowResult(row, Outcome.FAILED, errors=[(exc.column, exc.code)])
        if isinstance(exc, Conflict):
            return self._duplicate(job, row, exc, dup_of)
        if isinstance(exc, Forbidden):
            return RowResult(row, Outcome.FAILED, errors=[("", "FORBIDDEN")])
        return RowResult(row, Outcome.FAILED, errors=[("", "ERROR")])

    # --- a batch of rows ----------------------------------------------------------------------

    async def process_batch(
        self, job: Job, actor: Principal, rows: list[dict[str, Any]]
    ) -> list[RowResult]:
        """Each row's result exactly as `process` would give it row after row, at a fixed
        cost per batch: one query per lookup kind, and the rows that create customers
        written in one transaction (`BatchCreate`)."""
        results: dict[int, RowResult] = {}
        parsed: list[_Row] = []
        for pos, staged in enumerate(rows):
            row, cells = int(staged["row"]), dict(staged["cells"])
            try:
                parsed.append(_Row(pos, row, cells, staged.get("dup_of"), parse_row(cells)))
            except BadUserInput as exc:
                results[pos] = self._failure(job, row, exc, staged.get("dup_of"))
        if job.dry_run:
            await self._dry_run_batch(job, actor, parsed, results)
        else:
            await self._apply_batch(job, actor, parsed, results)
        return [results[pos] for pos in range(len(rows))]

    async def _apply_batch(
        self, job: Job, actor: Principal, rows: list[_Row], results: dict[int, RowResult]
    ) -> None:
        """Rows in order; consecutive creates are written together. In UPSERT mode an update
        runs after the creates before it, and a row whose key an earlier row of this batch
        also names looks its target up again (the earlier row may have just created it)."""
        pending: list[_Row] = []
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
                        results[r.pos] = self._failure(job, r.row, exc, r.dup_of)
                    continue
            pending.append(r)
        await self._create_rows(job, actor, pending, results)

    async def _create_rows(
        self, job: Job, actor: Principal, rows: list[_Row], results: dict[int, RowResult]
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
                results[r.pos] = self._failure(job, r.row, outcome, r.dup_of)

    def _duplicate(self, job: Job, row: int, exc: Conflict, dup_of: int | None) -> RowResult:
        rule = str(exc.extensions.get("rule") or "")
        if not rule:  # a stale version while updating
            return RowResult(row, Outcome.FAILED, errors=[("", "STALE")])
        column = RULE_COLUMN.get(rule, "")
        other = str(exc.extensions.get("conflictingId") or "") or None
        code = "DUPLICATE_IN_FILE" if dup_of is not None else "DUPLICATE"
        if job.mode is ImportMode.SKIP_DUPLICATES:
            code = "DUPLICATE_IN_FILE" if dup_of is not None else "DUPLICATE_SKIPPED"
            return RowResult(row, Outcome.SKIPPED, other, [(column, code)])
        return RowResult(row, Outcome.FAILED, other, [(column, code)])

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

    async def _dry_run_batch(
        self, job: Job, actor: Principal, rows: list[_Row], results: dict[int, RowResult]
    ) -> None:
        """What each row would do, written nowhere: validation (custom fields included), the
        upsert target, the duplicate check against stored customers (one query for the
        batch) and earlier rows of the file."""
        now = utcnow()
        targets = await self.targets.of_rows(job, [r.cells for r in rows]) if upserting(job) else []
        definitions = await self.customers.field_definitions()
        drafts: list[tuple[_Row, set[str]]] = []
        for r, target in zip(rows, targets or [None] * len(rows), strict=True):
            try:
                if isinstance(target, RowProblem):
                    raise target
                if target is not None:
                    if target.kind is not r.parsed.kind:
                        raise RowProblem("kind", "KIND_MISMATCH")
                    changes = r.parsed.changes()
                    _, changed = model.apply_changes(target, changes, actor=actor.sub, now=now)
                    outcome = Outcome.UPDATED if changed else Outcome.SKIPPED
                    results[r.pos] = RowResult(r.row, outcome, target.id)
                    continue
                draft = validated(r.parsed.new_customer(), definitions, actor=actor.sub, now=now)
                drafts.append((r, self.duplicates.keys_of(draft)))
            except (CrmError, RowProblem) as exc:
                results[r.pos] = self._failure(job, r.row, exc, r.dup_of)
        holders = await self.duplicates.store.key_holders({k for _, keys in drafts for k in keys})
        for r, keys in drafts:
            exact = [m for m in rank("", {k: holders[k] for k in keys if k in holders}) if m.exact]
            if exact:
                top = exact[0]
                conflict = Conflict("duplicate", conflicting_id=top.customer_id, rule=str(top.rule))
                results[r.pos] = self._failure(job, r.row, conflict, r.dup_of)
            elif r.dup_of is not None:  # nothing is written in a dry run: repeats are found here
                conflict = Conflict("duplicate", conflicting_id="", rule="IN_FILE")
                results[r.pos] = self._failure(job, r.row, conflict, r.dup_of)
            else:
                results[r.pos] = RowResult(r.row, Outcome.CREATED)
