"""`customer.export_finished.v1`: an export job finished (COMPLETED or FAILED). `subject` is
the job id; no personal data (no filter text): who, the format and the row count."""

from __future__ import annotations

from typing import Any

from crm_customer.imports.model import Job

TYPE = "customer.export_finished.v1"


def payload(job: Job) -> dict[str, Any]:
    return {
        "jobId": job.id,
        "actorId": job.actor,
        "status": str(job.status),
        "format": job.format,
        "rowCount": job.row_count,
        "includesPersonalData": job.include_personal,
        "expiresAt": job.expires_at.isoformat() if job.expires_at else None,
        **job.times(),
    }
