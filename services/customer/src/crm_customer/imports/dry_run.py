"""A dry run of an import batch: what each row would do, written nowhere, told as the real run
of the same file would tell it.

The real run checks each row against the stored customers and the customers the earlier rows
of the file created; a dry run creates none, so it keeps the match keys of the rows it would
have created (`JobRepository.add_file_keys`, blind indexes as the registry holds them) and
checks each row against the stored customers and those keys, ranked by the same rules. A row
repeating an earlier row that is itself refused is therefore accepted, as in the real run.
Rows are validated against the custom field definitions the job took at upload.

One thing a dry run cannot know: what an UPSERT row would change in a customer that an
earlier row of the file would create. Such a row counts as UPDATED.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from crm_customer.catalog.field_values import apply_values
from crm_customer.catalog.model import FieldDefinition
from crm_customer.customers import model
from crm_customer.customers.model import Customer
from crm_customer.customers.service import validated
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.duplicates.model import rank
from crm_customer.imports.model import Job, UpsertKey
from crm_customer.imports.reports import row_failure
from crm_customer.imports.rows import BatchRow
from crm_customer.imports.store import JobRepository
from crm_customer.imports.upsert import EXACT_PREFIXES, UpsertTargets, upserting
from crm_kit.auth import Principal
from crm_kit.errors import Conflict, CrmError
from crm_kit.events import utcnow
from crm_kit.imports.model import Outcome, RowProblem, RowResult

ROW = "row:"  # how an earlier row of the file stands among the holders of a key

type Holders = dict[str, list[str]]


def _update(
    r: BatchRow,
    target: Customer,
    definitions: Mapping[str, FieldDefinition],
    actor: str,
    now: datetime,
) -> RowResult:
    """What `updateCustomer` would make of the row's changes to `target`."""
    if target.kind is not r.parsed.kind:
        raise RowProblem("kind", "KIND_MISMATCH")
    changes = r.parsed.changes()
    if changes.custom_fields is not None:  # a patch, merged as the update merges it
        values = apply_values(definitions, changes.custom_fields, target.custom_fields)
        changes = replace(changes, custom_fields=values)
    _, changed = model.apply_changes(target, changes, actor=actor, now=now)
    return RowResult(r.row, Outcome.UPDATED if changed else Outcome.SKIPPED, target.id)


def _create(
    job: Job, r: BatchRow, keys: set[str], holders: Holders, names: str | None
) -> RowResult:
    """What the create of a valid row would give: refused by the strongest exact match among
    the stored customers and the earlier rows, or created. `names`: the key an UPSERT row
    names its customer by."""
    if names is not None and any(h.startswith(ROW) for h in holders.get(names, ())):
        return RowResult(r.row, Outcome.UPDATED)  # the customer an earlier row would create
    exact = [m for m in rank("", {k: holders[k] for k in keys if k in holders}) if m.exact]
    if not exact:
        return RowResult(r.row, Outcome.CREATED)
    top = exact[0]
    other = "" if top.customer_id.startswith(ROW) else top.customer_id
    conflict = Conflict("duplicate", conflicting_id=other, rule=str(top.rule))
    return row_failure(job, r.row, r.cells, conflict, r.dup_of)


@dataclass(frozen=True, slots=True)
class DryRun:
    jobs: JobRepository
    targets: UpsertTargets
    duplicates: DuplicateDetector

    async def batch(
        self, job: Job, actor: Principal, rows: list[BatchRow], results: dict[int, RowResult]
    ) -> None:
        """Each row's result: validation (custom fields included), the upsert target and
        the duplicate check (one lookup of the stored keys and one of the file's)."""
        now = utcnow()
        definitions = {d.key: d for d in job.custom_fields}
        targets = await self.targets.of_rows(job, [r.cells for r in rows]) if upserting(job) else []
        drafts: list[tuple[BatchRow, set[str]]] = []
        for r, target in zip(rows, targets or [None] * len(rows), strict=True):
            try:
                if isinstance(target, RowProblem):
                    raise target
                if target is not None:
                    results[r.pos] = _update(r, target, definitions, actor.sub, now)
                    continue
                draft = validated(r.parsed.new_customer(), definitions, actor=actor.sub, now=now)
                keys = {k for k in self.duplicates.keys_of(draft) if k.startswith(EXACT_PREFIXES)}
                drafts.append((r, keys))
            except (CrmError, RowProblem) as exc:
                results[r.pos] = row_failure(job, r.row, r.cells, exc, r.dup_of)
        await self._creates(job, rows[0].row if rows else 0, drafts, results)

    async def _creates(
        self,
        job: Job,
        first_row: int,
        drafts: list[tuple[BatchRow, set[str]]],
        results: dict[int, RowResult],
    ) -> None:
        """The valid rows that would create customers, in order, each checked against the
        stored customers and the rows before it that would be created."""
        names = self._upsert_keys(job, [r for r, _ in drafts])
        wanted = {k for _, keys in drafts for k in keys} | set(names.values())
        holders: Holders = await self.duplicates.store.key_holders(wanted)
        earlier = await self.jobs.file_keys(job.id, wanted, before=first_row)
        for k, row in earlier.items():
            holders.setdefault(k, []).append(f"{ROW}{row}")
        added: dict[str, int] = {}
        for r, keys in drafts:
            results[r.pos] = _create(job, r, keys, holders, names.get(r.pos))
            if results[r.pos].outcome is Outcome.CREATED:
                for k in keys:
                    holders.setdefault(k, []).append(f"{ROW}{r.row}")
                    added.setdefault(k, r.row)
        await self.jobs.add_file_keys(job.id, added)

    def _upsert_keys(self, job: Job, rows: list[BatchRow]) -> dict[int, str]:
        """Row position → the match key an UPSERT row names its customer by (by id: none;
        an id names a stored customer or none)."""
        if not upserting(job) or job.upsert_key in (None, UpsertKey.ID):
            return {}
        assert job.upsert_key is not None
        found = {r.pos: self.targets.value_of(job.upsert_key, r.cells) for r in rows}
        return {pos: key for pos, key in found.items() if key}
