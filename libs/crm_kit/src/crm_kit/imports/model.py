"""Import jobs (pure): what every service's import job holds, its counters and its row outcomes.

A service's job type extends `Job` with what only it needs (the customer service: its upsert
keys, custom field definitions and the export fields; the sales service: its upsert key); the
store, the worker, the reports and the GraphQL helpers of this package work on these common
fields alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_kit.auth import Principal, Role


class JobKind(StrEnum):
    IMPORT = "IMPORT"
    EXPORT = "EXPORT"


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class ImportMode(StrEnum):
    """How rows are applied: create each; or update the record a row's upsert key names
    (creating when none); or create, skipping a row that duplicates a stored record."""

    CREATE_ONLY = "CREATE_ONLY"
    UPSERT = "UPSERT"
    SKIP_DUPLICATES = "SKIP_DUPLICATES"


class Outcome(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


COUNTER = {
    Outcome.CREATED: "created",
    Outcome.UPDATED: "updated",
    Outcome.SKIPPED: "skipped",
    Outcome.FAILED: "failed",
}


@dataclass(frozen=True, slots=True)
class RowResult:
    """What became of one row: its outcome, the record it concerns (created, updated, or the
    one it duplicates) and its problems as (column key, code)."""

    row: int
    outcome: Outcome
    record_id: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)

    def as_doc(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "outcome": str(self.outcome),
            "record_id": self.record_id,
            "errors": [list(e) for e in self.errors],
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> RowResult:
        # Results stored before the machinery was shared name the record `customer_id`.
        record = doc.get("record_id", doc.get("customer_id"))
        return cls(
            int(doc["row"]),
            Outcome(doc["outcome"]),
            record,
            [(str(c), str(k)) for c, k in doc.get("errors") or []],
        )


@dataclass(frozen=True, slots=True)
class Counts:
    processed: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0

    @classmethod
    def of(cls, results: list[RowResult]) -> Counts:
        values = {name: 0 for name in COUNTER.values()}
        for r in results:
            values[COUNTER[r.outcome]] += 1
        return cls(processed=len(results), **values)


@dataclass(frozen=True, slots=True)
class Job:
    """What every import (and export) job has: who started it and as whom it runs, where it
    is, the uploaded file's staged batches and the counters of its rows."""

    id: str
    kind: JobKind
    status: JobStatus
    actor: str
    created_at: datetime
    format: str
    actor_roles: tuple[str, ...] = ()
    actor_team: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    mode: ImportMode | None = None
    dry_run: bool = False
    file_name: str = ""
    file_sha256: str = ""
    total: int = 0
    chunk_count: int = 0
    next_chunk: int = 0
    counts: Counts = field(default_factory=Counts)
    headers: dict[str, str] = field(default_factory=dict)  # column key → header in the file
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status not in OPEN_STATUSES

    def times(self) -> dict[str, str | None]:
        """When the job was created, started and finished (ISO 8601), as events carry them."""
        return {
            "createdAt": self.created_at.isoformat(),
            "startedAt": self.started_at.isoformat() if self.started_at else None,
            "finishedAt": self.finished_at.isoformat() if self.finished_at else None,
        }

    def counts_payload(self) -> dict[str, int]:
        """The row counters as events and audit records carry them."""
        return {
            "total": self.total,
            "processed": self.counts.processed,
            "created": self.counts.created,
            "updated": self.counts.updated,
            "skipped": self.counts.skipped,
            "failed": self.counts.failed,
        }


@dataclass(frozen=True, slots=True)
class ImportUpload[K: StrEnum]:
    """An uploaded file and how to import it, as the API received them (`K`: the service's
    upsert keys)."""

    data: bytes
    filename: str
    mode: ImportMode = ImportMode.CREATE_ONLY
    upsert_key: K | None = None
    dry_run: bool = False
    idempotency_key: str | None = None


class RowProblem(Exception):
    """A row refused before it reaches a use case: (column key, code)."""

    def __init__(self, column: str, code: str) -> None:
        super().__init__(code)
        self.column = column
        self.code = code


def actor_fields(actor: Principal) -> dict[str, Any]:
    """The requester as a job records them (the worker acts as them)."""
    return {
        "actor": actor.sub,
        "actor_roles": tuple(sorted(str(r) for r in actor.roles)),
        "actor_team": actor.team,
    }


def may_see(principal: Principal, job: Job) -> bool:
    """A job (and its files) is seen by whoever started it, and by ADMIN."""
    return job.actor == principal.sub or principal.has_role(Role.ADMIN)


def principal_of(job: Job) -> Principal:
    """The requester as recorded on the job (the worker acts and shapes data as them)."""
    roles = frozenset(Role(r) for r in job.actor_roles if r in Role.__members__)
    return Principal(job.actor, job.actor, roles, job.actor_team)
