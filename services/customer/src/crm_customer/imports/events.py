"""Events of import and export jobs. `subject` is the job id; no personal data (no file
name, no filter text, no row values): who, what kind, and the counts."""

from __future__ import annotations

from typing import Any

from crm_customer.imports.model import Job

IMPORT_FINISHED = "customer.import_finished.v1"
EXPORT_FINISHED = "customer.export_finished.v1"


def _at(job: Job) -> dict[str, Any]:
    return {
        "createdAt": job.created_at.isoformat(),
        "startedAt": job.started_at.isoformat() if job.started_at else None,
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
    }


def import_finished(job: Job) -> dict[str, Any]:
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
        **_at(job),
    }


def export_finished(job: Job) -> dict[str, Any]:
    return {
        "jobId": job.id,
        "actorId": job.actor,
        "status": str(job.status),
        "format": job.format,
        "rowCount": job.row_count,
        "includesPersonalData": job.include_personal,
        "expiresAt": job.expires_at.isoformat() if job.expires_at else None,
        **_at(job),
    }
