"""Import use cases: accept a file as a job (staged in bounded batches), and process one row
exactly as `createCustomer` / `updateCustomer` would — each row its own transaction."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_customer import domain
from crm_customer.commands import WRITERS, CustomerCommands
from crm_customer.domain import Customer, CustomerKind, LifecycleStage
from crm_customer.duplicates import match_keys, rank
from crm_customer.imports import files
from crm_customer.imports.columns import BY_KEY, resolve_header
from crm_customer.imports.jobs import (
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
from crm_customer.validators import (
    normalize_email,
    normalize_id_card,
    normalize_phone,
    normalize_uscc,
)
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
        row: int = staged["row"]
        cells: dict[str, str] = staged["cells"]
        dup_of: int | None = staged.get("dup_of")
        try:
            parsed = parse_row(cells)
            if job.dry_run:
                return await self._dry_run(
                    job, actor=actor, row=row, parsed=parsed, cells=cells, dup_of=dup_of
                )
            return await self._apply(job, actor, row, parsed, cells)
        except BadUserInput as exc:
            return RowResult(row, Outcome.FAILED, errors=row_errors(exc))
        except RowProblem as exc:
            return RowResult(row, Outcome.FAILED, errors=[(exc.column, exc.code)])
        except Conflict as exc:
            return self._duplicate(job, row, exc, dup_of)
        except Forbidden:
            return RowResult(row, Outcome.FAILED, errors=[("", "FORBIDDEN")])
        except CrmError:
            return RowResult(row, Outcome.FAILED, errors=[("", "ERROR")])

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

    async def _apply(
        self, job: Job, actor: Principal, row: int, parsed: ParsedRow, cells: dict[str, str]
    ) -> RowResult:
        if job.mode is ImportMode.UPSERT:
            target = await self._target(job, cells)
            if target is not None:
                return await self._update(actor, row, parsed, target)
        created = await self.commands.create(
            actor, parsed.new_customer(), idempotency_key=f"import:{job.id}:{row}"
        )
        return RowResult(row, Outcome.CREATED, created.id)

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

    async def _target(self, job: Job, cells: dict[str, str]) -> Customer | None:
        """The existing customer an UPSERT row addresses, or None to create one."""
        key = job.upsert_key
        assert key is not None
        column = UPSERT_COLUMN[key]
        raw = cells.get(column, "").strip()
        if not raw:
            return None
        if key is UpsertKey.ID:
            found = await self.customers.get_many([raw])
            if raw not in found:
                raise RowProblem("id", "NOT_FOUND")
            return found[raw]
        match_key = self._match_key(key, raw)
        if match_key is None:
            return None  # invalid value: validation reports it on create
        holders = (await self.customers.key_holders({match_key})).get(match_key, [])
        if len(holders) > 1:
            raise RowProblem(column, "AMBIGUOUS_KEY")
        if not holders:
            return None
        found = await self.customers.get_many(holders)
        return found.get(holders[0])

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

    async def _dry_run(
        self,
        job: Job,
        *,
        actor: Principal,
        row: int,
        parsed: ParsedRow,
        cells: dict[str, str],
        dup_of: int | None,
    ) -> RowResult:
        """What the row would do, written nowhere: validation, the upsert target, the
        duplicate check against stored customers and earlier rows of the file."""
        now = utcnow()
        if job.mode is ImportMode.UPSERT and (target := await self._target(job, cells)):
            if target.kind is not parsed.kind:
                raise RowProblem("kind", "KIND_MISMATCH")
            _, changed = domain.apply_changes(target, parsed.changes(), actor=actor.sub, now=now)
            return RowResult(row, Outcome.UPDATED if changed else Outcome.SKIPPED, target.id)
        draft = domain.create(parsed.new_customer(), id=f"dry-{row}", actor=actor.sub, now=now)
        holders = await self.customers.key_holders(match_keys(self.customers.document(draft)))
        exact = [m for m in rank(draft.id, holders) if m.exact]
        if exact:
            top = exact[0]
            raise Conflict("duplicate", conflicting_id=top.customer_id, rule=str(top.rule))
        if dup_of is not None:  # nothing is written in a dry run: repeats are found here
            raise Conflict("duplicate", conflicting_id="", rule="IN_FILE")
        return RowResult(row, Outcome.CREATED)


__all__ = ["FieldError", "ImportService", "NotFound", "stage_rows"]
