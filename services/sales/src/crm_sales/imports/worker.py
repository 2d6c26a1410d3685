"""The opportunity import worker: the kit's leased job worker (`crm_kit.imports.worker`, lease
`_id = opportunity-import:<id>`), started with the service, one job at a time per replica.

The rows of a batch are written as the job's requester (the kit's worker passes them as the
actor) and the audit entries of their writes name that requester, not the service. A finished
import writes an `opportunity.import` audit record (its counts, mode and whether it was a dry
run) in the transaction that ends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_kit import audit
from crm_kit.audit.chain import Who
from crm_kit.audit.scope import operation_who
from crm_kit.auth import Principal
from crm_kit.imports import worker
from crm_kit.imports.model import JobStatus, RowResult
from crm_kit.imports.worker import ProgressHub
from crm_kit.uow import Transaction, UnitOfWork
from crm_sales.imports.model import OpportunityImportJob
from crm_sales.imports.service import ImportService
from crm_sales.imports.store import ImportJobRepository

LEASE_PREFIX = "opportunity-import"


@dataclass(frozen=True, slots=True)
class ImportJobHandler:
    """What the worker does with opportunity import jobs (`crm_kit.imports.worker.JobHandler`)."""

    importer: ImportService

    async def process_batch(
        self, job: OpportunityImportJob, actor: Principal, rows: list[dict[str, Any]]
    ) -> list[RowResult]:
        token = operation_who.set(Who(actor=job.actor, roles=job.actor_roles))
        try:
            return await self.importer.process_batch(job, actor, rows)
        finally:
            operation_who.reset(token)

    def finished(self, tx: Transaction, job: OpportunityImportJob) -> None:
        if job.status is not JobStatus.COMPLETED:
            return  # a failed job says so on itself (`status`, `error`)
        audit.record(
            tx, "opportunity.import", "OpportunityImportJob", job.id,
            details={"counts": job.counts_payload(), "mode": str(job.mode),
                     "dryRun": job.dry_run},
            actor=job.actor, roles=job.actor_roles,
        )  # fmt: skip

    async def run_other(self, job: OpportunityImportJob) -> None:
        # Only imports are ever queued here; anything else fails its attempts, then the job.
        raise ValueError(f"an opportunity job of kind {job.kind} cannot be run")


def import_worker(
    jobs: ImportJobRepository, importer: ImportService, uow: UnitOfWork
) -> worker.JobWorker[OpportunityImportJob]:
    return worker.JobWorker(
        jobs, ImportJobHandler(importer), uow, ProgressHub(), lease_prefix=LEASE_PREFIX
    )
