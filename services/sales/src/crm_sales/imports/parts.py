"""The opportunity import feature's parts, built over one database (app.py): the use cases,
the read side with its download links, and the worker that runs the jobs."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.file_links import FileLinkSigner
from crm_kit.imports.worker import JobWorker
from crm_kit.mongo import Document
from crm_kit.uow import UnitOfWork
from crm_sales.customers.queries import CustomerQueries
from crm_sales.imports.batch import ImportBatch
from crm_sales.imports.downloads import download_links
from crm_sales.imports.model import OpportunityImportJob
from crm_sales.imports.queries import ImportJobQueries
from crm_sales.imports.service import ImportLimits, ImportService
from crm_sales.imports.store import ExternalKeys, ImportJobRepository
from crm_sales.imports.worker import import_worker
from crm_sales.opportunities.queries import OpportunityQueries
from crm_sales.opportunities.service import OpportunityService
from crm_sales.pipelines.queries import PipelineQueries


@dataclass(frozen=True, slots=True)
class ImportParts:
    service: ImportService  # accepts files as jobs
    jobs: ImportJobQueries  # reads jobs, their results, and signs their files' links
    worker: JobWorker[OpportunityImportJob]  # runs them (a service worker)


@dataclass(frozen=True, slots=True)
class ImportSources:
    """What the rows are written and checked through."""

    opportunities: OpportunityService
    opportunity_queries: OpportunityQueries
    pipelines: PipelineQueries
    customers: CustomerQueries


def import_parts(
    db: AsyncDatabase[Document],
    uow: UnitOfWork,
    sources: ImportSources,
    limits: ImportLimits,
    signer: FileLinkSigner,
) -> ImportParts:
    jobs = ImportJobRepository(db)
    batch = ImportBatch(
        sources.opportunities, sources.opportunity_queries, sources.pipelines, sources.customers,
        ExternalKeys(db), jobs,
    )  # fmt: skip
    service = ImportService(uow, jobs, batch, limits)
    return ImportParts(
        service, ImportJobQueries(db, download_links(signer)), import_worker(jobs, service, uow)
    )
