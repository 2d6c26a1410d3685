"""The customer job worker: the kit's leased job worker (`crm_kit.imports.worker`, lease
`_id = customer-job:<id>`) running customer imports and exports.

An import batch's rows that create customers are written in one transaction
(`ImportService.process_batch`), each with an idempotency key of its own, and every customer
event they emit names the import as its cause (`events.batch`). A finished import writes a
`customer.import` audit record and emits `customer.import_finished.v1` in the transaction that
ends it; an export ends in `ExportService.run`, and a failed one emits
`customer.export_finished.v1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_customer.events import customer_export_finished, customer_import_finished
from crm_customer.events.batch import Batch, BatchKind, caused_by
from crm_customer.imports.export import ExportService
from crm_customer.imports.model import Job
from crm_customer.imports.service import ImportService
from crm_customer.imports.store import JobRepository
from crm_kit import audit
from crm_kit.auth import Principal
from crm_kit.imports import worker
from crm_kit.imports.model import JobKind, JobStatus, RowResult
from crm_kit.imports.worker import ProgressHub
from crm_kit.uow import Transaction, UnitOfWork

LEASE_PREFIX = "customer-job"


@dataclass(frozen=True, slots=True)
class CustomerJobs:
    """What the worker does with customer jobs (`crm_kit.imports.worker.JobHandler`)."""

    importer: ImportService
    exporter: ExportService

    async def process_batch(
        self, job: Job, actor: Principal, rows: list[dict[str, Any]]
    ) -> list[RowResult]:
        with caused_by(Batch(BatchKind.IMPORT, job.id, job.started_at or job.created_at)):
            return await self.importer.process_batch(job, actor, rows)

    def finished(self, tx: Transaction, job: Job) -> None:
        if job.kind is JobKind.EXPORT:
            tx.emit(customer_export_finished.TYPE, job.id, customer_export_finished.payload(job))
            return
        payload = customer_import_finished.payload(job)
        if job.status is JobStatus.COMPLETED:
            audit.record(
                tx, "customer.import", "CustomerImportJob", job.id,
                details={"counts": payload["counts"], "mode": payload["mode"],
                         "dryRun": job.dry_run},
                actor=job.actor, roles=job.actor_roles,
            )  # fmt: skip
        tx.emit(customer_import_finished.TYPE, job.id, payload)

    async def run_other(self, job: Job) -> None:
        await self.exporter.run(job)


class JobWorker(worker.JobWorker[Job]):
    """Runs open customer jobs, one at a time, each under its own lease."""

    def __init__(
        self,
        jobs: JobRepository,
        importer: ImportService,
        exporter: ExportService,
        uow: UnitOfWork,
        hub: ProgressHub,
        *,
        poll_seconds: float = 2.0,
        lease_seconds: float = 30.0,
    ) -> None:
        super().__init__(
            jobs,
            CustomerJobs(importer, exporter),
            uow,
            hub,
            lease_prefix=LEASE_PREFIX,
            poll_seconds=poll_seconds,
            lease_seconds=lease_seconds,
        )
