"""`customer.import_finished.v1`: an import job finished (COMPLETED or FAILED). `subject` is
the job id; no personal data (no file name, no row values): who, what kind, and the counts."""

from __future__ import annotations

from typing import Any

from crm_customer.imports.model import Job

TYPE = "customer.import_finished.v1"


def payload(job: Job) -> dict[str, Any]:
    return {
        "jobId": job.id,
        "actorId": job.actor,
        "status": str(job.status),
        "mode": str(job.mode) if job.mode else None,
        "dryRun": job.dry_run,
        "format": job.format,
        "counts": {
            "total": job.total,
            "processed": job.counts.processed,
            "created": job.counts.created,
            "updated": job.counts.updated,
            "skipped": job.counts.skipped,
            "failed": job.counts.failed,
        },
        **job.times(),
    }
