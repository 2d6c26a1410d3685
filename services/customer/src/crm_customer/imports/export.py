"""Export use cases: the caller's filter to a CSV/XLSX file, as a job.

The rows are those the caller may see, shaped as the caller may see them (crm_customer.access:
the EXPORT scope for personal data, else the LIST scope; fields masked by role). Exporting
personal data needs the EXPORT grant (ANALYST and SERVICE have none: FORBIDDEN); without
personal data the personal columns are left out altogether. The caller's condition is fixed
when the job is accepted (stored as BSON), so the worker applies exactly that, and so are the
active custom fields: one column each after the fixed ones, written as the import reads them
(options as they are defined, several separated by ``;``, booleans TRUE/FALSE), so an export
re-imports as it is.
Each finished export writes a `customer.export` record to the service's audit log
(crm_kit.audit: actor, filter, row count) and emits `customer.export_finished.v1` in the same
transaction. The file is kept encrypted for `FILE_TTL` and only its requester (and ADMIN) can
download it, part by part, through a signed link (`imports.downloads`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import bson
import orjson

from crm_customer import access
from crm_customer.catalog.model import FieldDefinition, FieldType
from crm_customer.customers.filters import CustomerFilter
from crm_customer.customers.model import Customer
from crm_customer.customers.queries import CustomerQueries
from crm_customer.events import customer_export_finished
from crm_customer.imports.columns import ColumnSet, custom_key
from crm_customer.imports.model import Job
from crm_customer.imports.store import JobRepository
from crm_kit import audit
from crm_kit.auth import Principal
from crm_kit.events import utcnow
from crm_kit.imports import tables
from crm_kit.imports.model import JobKind, JobStatus, principal_of
from crm_kit.personal import mask_id_card
from crm_kit.policy import Action, restrict
from crm_kit.uow import Transaction, UnitOfWork

FILE_TTL = timedelta(hours=24)
PAGE = 200


def filter_document(flt: CustomerFilter) -> dict[str, Any]:
    """The filter as plain JSON values (for the audit record)."""
    data: dict[str, Any] = orjson.loads(orjson.dumps(asdict(flt), default=str))
    return {k: v for k, v in data.items() if v not in (None, [], False)}


def export_header(columns: ColumnSet, include_personal: bool) -> list[tuple[str, str]]:
    """(column key, zh header) of each exported column."""
    return [
        (c.key, columns.header(c, "zh"))
        for c in columns.columns
        if include_personal or not c.personal
    ]


def custom_cell(d: FieldDefinition, value: Any) -> str:
    """A custom field value as the import reads it back."""
    if value is None:
        return ""
    if d.type is FieldType.BOOLEAN and isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def custom_cells(c: Customer, custom: Sequence[FieldDefinition]) -> dict[str, str]:
    return {custom_key(d.key): custom_cell(d, c.custom_fields.get(d.key)) for d in custom}


def cells_of(c: Customer, reveal_identity: bool) -> dict[str, str]:
    """A customer as import cells (an export re-imports as it is)."""
    address = c.addresses[0] if c.addresses else None
    contact = next((p for p in c.contacts if p.primary), c.contacts[0] if c.contacts else None)
    number = c.id_card_number
    if number and not reveal_identity:
        number = mask_id_card(number)
    values: dict[str, str | None] = {
        "kind": str(c.kind), "name": c.name, "id": c.id, "stage": str(c.stage), "tier": c.tier,
        "tags": ";".join(c.tags), "phones": ";".join(c.phones), "emails": ";".join(c.emails),
        "source": str(c.source) if c.source else None, "source_detail": c.source_detail,
        "referrer": c.referrer, "owner_id": c.owner_id, "team": c.team,
        "gender": str(c.gender) if c.gender else None,
        "birthday": c.birthday.isoformat() if c.birthday else None,
        "id_card_number": number, "wechat_id": c.wechat_id,
        "province": address.province if address else None,
        "city": address.city if address else None,
        "district": address.district if address else None,
        "street": address.street if address else None,
        "postal_code": address.postal_code if address else None,
        "uscc": c.uscc, "industry": c.industry,
        "company_size": str(c.company_size) if c.company_size else None, "website": c.website,
        "contact_name": contact.name if contact else None,
        "contact_title": contact.title if contact else None,
        "contact_phone": ";".join(contact.phones) if contact else None,
        "contact_email": ";".join(contact.emails) if contact else None,
    }  # fmt: skip
    return {k: v or "" for k, v in values.items()}


@dataclass(frozen=True, slots=True)
class ExportService:
    uow: UnitOfWork
    jobs: JobRepository
    customers: CustomerQueries
    max_rows: int = 50_000

    async def start(
        self,
        actor: Principal,
        flt: CustomerFilter,
        fmt: tables.FileFormat,
        include_personal: bool,
        custom: Sequence[FieldDefinition] = (),
    ) -> Job:
        """The export as a queued job; `custom`: the custom field definitions (the active
        ones become columns)."""
        action = Action.EXPORT if include_personal else Action.LIST
        access.require(actor, action)
        scope = access.condition(actor, action)
        query = restrict(flt.query(), scope or {})
        job = Job(
            id=uuid.uuid4().hex,
            kind=JobKind.EXPORT,
            status=JobStatus.QUEUED,
            actor=actor.sub,
            actor_roles=tuple(sorted(str(r) for r in actor.roles)),
            actor_team=actor.team,
            created_at=utcnow(),
            format=str(fmt),
            filter=filter_document(flt),
            query=bson.encode(query),
            include_personal=include_personal,
            reveal_identity=access.may_see_identity(actor),
            custom_fields=tuple(d for d in custom if d.active),
        )

        async def work(tx: Transaction) -> None:
            await self.jobs.insert(job, tx.session)

        await self.uow.run(work)
        return job

    async def run(self, job: Job) -> Job:
        """Write the file, then in one transaction: job done, audit record, event."""
        query: dict[str, Any] = bson.decode(job.query) if job.query else {"_id": None}
        actor = principal_of(job)
        header = export_header(ColumnSet.of(job.custom_fields), job.include_personal)
        rows: list[list[str]] = [[text for _, text in header]]
        after: tuple[datetime, str] | None = None
        while len(rows) - 1 < self.max_rows:
            found = await self.customers.export_page(query, after, PAGE)
            for customer in found:
                shown = access.present(actor, customer)
                cells = cells_of(shown, job.reveal_identity) | custom_cells(
                    shown, job.custom_fields
                )
                rows.append([cells[key] for key, _ in header])
            if len(found) < PAGE:
                break
            after = (found[-1].created_at, found[-1].id)
        data = tables.render(tables.FileFormat(job.format), rows[: self.max_rows + 1], "customers")
        parts = await self.jobs.save_file(job.id, data)
        now = utcnow()
        done = replace(
            job,
            status=JobStatus.COMPLETED,
            finished_at=now,
            row_count=len(rows) - 1,
            file_parts=parts,
            file_size=len(data),
            expires_at=now + FILE_TTL,
        )

        async def work(tx: Transaction) -> None:
            await self.jobs.set_fields(
                job.id,
                {
                    "status": str(done.status),
                    "finished_at": now,
                    "row_count": done.row_count,
                    "file_parts": parts,
                    "file_size": done.file_size,
                    "expires_at": done.expires_at,
                },
                tx.session,
            )
            audit.record(
                tx, "customer.export", "CustomerExportJob", job.id,
                details={"rows": done.row_count, "filter": job.filter, "format": job.format,
                         "includesPersonalData": job.include_personal},
                actor=job.actor, roles=job.actor_roles,
            )  # fmt: skip
            tx.emit(customer_export_finished.TYPE, job.id, customer_export_finished.payload(done))

        await self.uow.run(work)
        return done

    async def file_size(self, job: Job, now: datetime) -> int | None:
        """The size of the job's file while it can be downloaded (COMPLETED, not expired);
        None otherwise."""
        if job.status is not JobStatus.COMPLETED or (job.expires_at and job.expires_at < now):
            return None
        if job.file_size or not job.file_parts:
            return job.file_size
        return len(await self.jobs.load_file(job))  # finished before sizes were kept

    def file_chunks(self, job: Job) -> AsyncIterator[bytes]:
        """The job's file, part by part (check `file_size` first)."""
        return self.jobs.file_chunks(job)
