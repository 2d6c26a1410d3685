"""Import use cases: accept a file as a job (staged in bounded batches), and process a batch
of rows with the outcome `createCustomer` / `updateCustomer` would give each row in turn: the
rows that create customers are written in one transaction (`crm_customer.batch_create`),
the lookups of a batch (duplicates, upsert targets) are one query per kind, an UPSERT update
runs in its own transaction."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_customer.batch_create import BatchCreate, Item, ItemOutcome
from crm_customer.commands import WRITERS, CustomerCommands, validated
from crm_customer.customers import model as domain
from crm_customer.customers.model import Customer
from crm_customer.customers.validators import (
    normalize_email,
    normalize_id_card,
    normalize_phone,
    normalize_uscc,
)
from crm_customer.customers.values import CustomerKind, LifecycleStage
from crm_customer.duplicates.model import match_keys, rank
from crm_customer.imports import files
from crm_customer.imports.columns import BY_KEY, resolve_header
from crm_customer.imports.model import (
    UPSERT_COLUMN,
    ImportMode,
    Job,
    JobKind,
    JobStatus,
    Outcome,
    RowResult,
    UpsertKey,
)
from crm_customer.imports.rows import ParsedRow, parse_row, row_errors, split_list
from crm_customer.imports.store import JobStore
from crm_customer.repository import CustomerRepository
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Conflict, CrmError, FieldError, Forbidden, NotFound
from crm_kit.events import utcnow
from crm_kit.uow import Transaction, UnitOfWork

RULE_COLUMN = {"ID_CARD": "id_card_number", "USCC": "uscc", "PHONE": "phones", "EMAIL": "emails"}


class RowProblem(Exception):
    def __init__(self, column: str, code: str) -> None:
        super().__init__(code)
        self.column = column
        self.code = code


@dataclass(frozen=True, slots=True)
class _Row:
    pos: int  # index in its batch
    row: int  # line in the file
    cells: dict[str, str]
    dup_of: int | None  # an earlier line with the same phone, email, ID or credit code
    parsed: ParsedRow


def _in_file_keys(cells: dict[str, str]) -> set[str]:
    """Identifying values of a row, normalised, to spot repeats within one file."""
    keys = {f"p:{p}" for p in map(normalize_phone, split_list(cells.get("phones", ""))) if p}
    keys |= {f"e:{e}" for e in map(normalize_email, split_list(cells.get("emails", ""))) if e}
    if cells.get("id_card_number", "").strip():
        keys.add(f"i:{normalize_id_card(cells['id_card_number'])}")
    if cells.get("uscc", "").strip():
        keys.add(f"u:{normalize_uscc(cells['uscc'])}")
    return keys


def stage_rows(table: list[tuple[int, list[str]]]) -> list[dict[str, Any]]:
    """Header + rows → staged rows: cells by column key, and the earlier row it repeats."""
    header = resolve_header(table[0][1])
    seen: dict[str, int] = {}
    staged: list[dict[str, Any]] = []
    for number, values in table[1:]:
        cells = {key: values[pos] for pos, key in header.positions.items() if pos < len(values)}
        keys = _in_file_keys(cells)
        dup_of = min((seen[k] for k in keys if k in seen), default=None)
        for k in keys:
            seen.setdefault(k, number)
        staged.append({"row": number, "cells": cells, "dup_of": dup_of})
    return staged


@dataclass(frozen=True, slots=True)
class ImportService:
    uow: UnitOfWork
    store: JobStore
    customers: CustomerRepository
    commands: CustomerCommands
    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 50_000
    batch_rows: int = 50

    async def start(
        self,
        actor: Principal,
        *,
        data: bytes,
        filename: str,
        mode: ImportMode,
        upsert_key: UpsertKey | None,
        dry_run: bool,
        idempotency_key: str | None,
    ) -> Job:
        actor.require_role(*WRITERS)
        if mode is ImportMode.UPSERT and upsert_key is None:
            raise BadUserInput.single("upsertKey", "REQUIRED", "UPSERT needs an upsertKey")
        sha = hashlib.sha256(data).hexdigest()
        guard = f"{actor.sub}:{idempotency_key}" if idempotency_key else None
        if guard and (existing := await self._existing(guard, sha)):
            return existing
        if len(data) > self.max_bytes:
            raise BadUserInput.single(
                "file", "FILE_TOO_LARGE", f"The file is larger than {self.max_bytes} bytes"
            )
        fmt = files.detect(data, filename)
        table = files.read_table(data, fmt, self.max_rows)
        staged = stage_rows(table)
        headers = resolve_header(table[0][1]).headers
        if upsert_key is not None and mode is ImportMode.UPSERT:
            column = BY_KEY[UPSERT_COLUMN[upsert_key]]
            if column.key not in headers:
                raise BadUserInput.single(
                    "file",
                    "MISSING_COLUMNS",
                    f"UPSERT by {upsert_key} needs the column {column.zh} ({column.en})",
                )
        chunks = [staged[i : i + self.batch_rows] for i in range(0, len(staged), self.batch_rows)]
        job = Job(
            id=uuid.uuid4().hex,
            kind=JobKind.IMPORT,
            status=JobStatus.QUEUED,
            actor=actor.sub,
            actor_roles=tuple(sorted(str(r) for r in actor.roles)),
            actor_team=actor.team,
            created_at=utcnow(),
            format=str(fmt),
            mode=mode,
            upsert_key=upsert_key if mode is ImportMode.UPSERT else None,
            dry_run=dry_run,
            file_name=filename[:200],
            file_sha256=sha,
            total=len(staged),
            chunk_count=len(chunks),
            headers=headers,
        )
        await self.store.stage(job.id, chunks)

        async def work(tx: Transaction) -> str:
            if guard:
                if (winner := await self.store.job_for_key(guard, tx.session)) is not None:
                    return winner
                await self.store.claim_key(guard, job.id, job.created_at, tx.session)
            await self.store.insert(job, tx.session)
            return job.id

        try:
            job_id: str | None = await self.uow.run(work)
        except DuplicateKeyError:  # a concurrent upload with the same key won
            job_id = (await self.store.job_for_key(guard)) if guard else None
            if job_id is None:
                raise
        if job_id is not None and job_id != job.id:
            await self.store.discard(job.id, job.chunk_count)
            found = await self.store.get(job_id)
            assert found is not None
            return found
        return job

    async def _existing(self, guard: str, sha: str) -> Job | None:
        job_id = await self.store.job_for_key(guard)
        if job_id is None:
            return None
        job = await self.store.get(job_id)
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
        targets = await self._targets(job, [r.cells for r in rows]) if self._upsert(job) else []
        earlier: set[int] = set()
        for r, looked_up in zip(rows, targets or [None] * len(rows), strict=True):
            if self._upsert(job):
                target = looked_up
                if r.dup_of is not None and r.dup_of in earlier:  # looked up after that row
                    await self._create_rows(job, actor, pending, results)
                    pending = []
                    target = await self._targets_one(job, r.cells)
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
            outcomes: list[ItemOutcome] = await BatchCreate(self.commands).create_many(actor, items)
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
                updated = await self.commands.update(
                    actor, target.id, target.version, parsed.changes()
                )
            except Conflict as exc:
                if exc.extensions.get("rule") or attempt:
                    raise
                target = await self.customers.get(target.id)
                continue
            if updated.version == target.version:
                return RowResult(row, Outcome.SKIPPED, target.id)  # nothing to change
            return RowResult(row, Outcome.UPDATED, target.id)
        raise RowProblem("", "STALE")  # pragma: no cover - the loop returns or raises

    @staticmethod
    def _upsert(job: Job) -> bool:
        return job.mode is ImportMode.UPSERT and job.upsert_key is not None

    def _upsert_value(self, job: Job, cells: dict[str, str]) -> str | None:
        """The registry key (or id) an UPSERT row addresses its customer by, if any."""
        assert job.upsert_key is not None
        raw = cells.get(UPSERT_COLUMN[job.upsert_key], "").strip()
        if not raw:
            return None
        return raw if job.upsert_key is UpsertKey.ID else self._match_key(job.upsert_key, raw)

    async def _targets_one(self, job: Job, cells: dict[str, str]) -> Customer | RowProblem | None:
        return (await self._targets(job, [cells]))[0]

    async def _targets(
        self, job: Job, rows: list[dict[str, str]]
    ) -> list[Customer | RowProblem | None]:
        """Each UPSERT row's existing customer (None: create one; a RowProblem: the row
        fails), for the whole batch in at most two queries."""
        key = job.upsert_key
        assert key is not None
        column = UPSERT_COLUMN[key]
        values = [self._upsert_value(job, cells) for cells in rows]
        if key is UpsertKey.ID:
            found = await self.customers.get_many([v for v in values if v])
            return [
                None if not v else found.get(v) or RowProblem("id", "NOT_FOUND") for v in values
            ]
        holders = await self.customers.key_holders({v for v in values if v})
        found = await self.customers.get_many(
            sorted({ids[0] for ids in holders.values() if len(ids) == 1})
        )
        out: list[Customer | RowProblem | None] = []
        for v in values:
            ids = holders.get(v, []) if v else []  # no key, or an invalid value: a create
            out.append(RowProblem(column, "AMBIGUOUS_KEY") if len(ids) > 1 else None)
            if len(ids) == 1:
                out[-1] = found.get(ids[0])
        return out

    def _match_key(self, key: UpsertKey, raw: str) -> str | None:
        """The registry key of one value, made the way stored customers' keys are made (a
        probe record through the repository's document mapping, blind indexes included)."""
        now = utcnow()
        probe = Customer(
            id="probe", kind=CustomerKind.INDIVIDUAL, name="", stage=LifecycleStage.LEAD,
            created_at=now, updated_at=now, created_by="", updated_by="",
        )  # fmt: skip
        first = split_list(raw)[0] if split_list(raw) else raw
        if key is UpsertKey.PHONE:
            phone = normalize_phone(first)
            probe = replace(probe, phones=[phone]) if phone else probe
        elif key is UpsertKey.EMAIL:
            email = normalize_email(first)
            probe = replace(probe, emails=[email]) if email else probe
        elif key is UpsertKey.ID_CARD:
            probe = replace(probe, id_card_number=normalize_id_card(raw))
        else:
            probe = replace(probe, kind=CustomerKind.ENTERPRISE, uscc=normalize_uscc(raw))
        prefix = {"PHONE": "phone:", "EMAIL": "email:", "ID_CARD": "idcard:", "USCC": "uscc:"}
        keys = [k for k in match_keys(self.customers.document(probe)) if k.startswith(prefix[key])]
        return keys[0] if keys else None

    async def _dry_run_batch(
        self, job: Job, actor: Principal, rows: list[_Row], results: dict[int, RowResult]
    ) -> None:
        """What each row would do, written nowhere: validation (custom fields included), the
        upsert target, the duplicate check against stored customers (one query for the
        batch) and earlier rows of the file."""
        now = utcnow()
        targets = await self._targets(job, [r.cells for r in rows]) if self._upsert(job) else []
        definitions = await self.commands.field_definitions()
        drafts: list[tuple[_Row, set[str]]] = []
        for r, target in zip(rows, targets or [None] * len(rows), strict=True):
            try:
                if isinstance(target, RowProblem):
                    raise target
                if target is not None:
                    if target.kind is not r.parsed.kind:
                        raise RowProblem("kind", "KIND_MISMATCH")
                    changes = r.parsed.changes()
                    _, changed = domain.apply_changes(target, changes, actor=actor.sub, now=now)
                    outcome = Outcome.UPDATED if changed else Outcome.SKIPPED
                    results[r.pos] = RowResult(r.row, outcome, target.id)
                    continue
                draft = validated(r.parsed.new_customer(), definitions, actor=actor.sub, now=now)
                drafts.append((r, match_keys(self.customers.document(draft))))
            except (CrmError, RowProblem) as exc:
                results[r.pos] = self._failure(job, r.row, exc, r.dup_of)
        holders = await self.customers.key_holders({k for _, keys in drafts for k in keys})
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


__all__ = ["FieldError", "ImportService", "NotFound", "stage_rows"]
