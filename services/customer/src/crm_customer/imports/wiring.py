"""The import/export parts one service process holds (built in app.py).

Settings: `CUSTOMER_IMPORT_BATCH_ROWS` (rows per batch, default 50: one progress step, one
lease renewal point), `CUSTOMER_IMPORT_MAX_ROWS` (default 50,000 per file); the upload size
limit is crm_kit's `UPLOAD_MAX_BYTES` (default 10 MB).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from crm_customer.commands import CustomerCommands
from crm_customer.imports.exporter import ExportService
from crm_customer.imports.importer import ImportService
from crm_customer.imports.store import JobStore
from crm_customer.imports.worker import JobWorker, ProgressHub
from crm_customer.repository import CustomerRepository
from crm_kit.service import Runtime


@dataclass(frozen=True, slots=True)
class JobServices:
    store: JobStore
    importer: ImportService
    exporter: ExportService
    worker: JobWorker
    hub: ProgressHub


def build_jobs(
    runtime: Runtime,
    customers: CustomerRepository,
    commands: CustomerCommands,
    poll_seconds: float = 2.0,
) -> JobServices:
    store = JobStore(runtime.db, customers.protector)
    importer = ImportService(
        runtime.uow,
        store,
        customers,
        commands,
        max_bytes=runtime.settings.upload_max_bytes,
        max_rows=int(os.environ.get("CUSTOMER_IMPORT_MAX_ROWS", "50000")),
        batch_rows=max(1, int(os.environ.get("CUSTOMER_IMPORT_BATCH_ROWS", "50"))),
    )
    exporter = ExportService(runtime.uow, store, customers)
    hub = ProgressHub()
    worker = JobWorker(store, importer, exporter, runtime.uow, hub, poll_seconds=poll_seconds)
    return JobServices(store, importer, exporter, worker, hub)
