"""Accepting an upload as an import job: its rows staged in bounded batches, the job queued,
and the upload's `idempotencyKey` honoured — the same key with the same file gives the same
job (with another file: CONFLICT), and of two concurrent uploads with one key the first to
commit wins while the other's staged rows are dropped."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_kit.auth import Principal
from crm_kit.errors import Conflict
from crm_kit.events import utcnow
from crm_kit.imports.model import ImportUpload, Job, JobKind, JobStatus, actor_fields
from crm_kit.imports.store import JobStore
from crm_kit.uow import Transaction, UnitOfWork

type Staged = list[dict[str, Any]]
type Chunks = list[Staged]


def chunked(staged: Staged, size: int) -> Chunks:
    """Staged rows in batches of at most `size`."""
    return [staged[i : i + size] for i in range(0, len(staged), size)]


def import_fields[K: StrEnum](
    actor: Principal,
    upload: ImportUpload[K],
    fmt: str,
    sha: str,
    *,
    staged: int,
    chunks: int,
    headers: dict[str, str],
) -> dict[str, Any]:
    """The common fields of a new, queued import job (a service's `Job` adds its own)."""
    return {
        "id": uuid.uuid4().hex,
        "kind": JobKind.IMPORT,
        "status": JobStatus.QUEUED,
        "created_at": utcnow(),
        "format": fmt,
        "mode": upload.mode,
        "dry_run": upload.dry_run,
        "file_name": upload.filename[:200],
        "file_sha256": sha,
        "total": staged,
        "chunk_count": chunks,
        "headers": headers,
        **actor_fields(actor),
    }


@dataclass(frozen=True, slots=True)
class JobIntake[J: Job]:
    uow: UnitOfWork
    jobs: JobStore[J]

    async def accept[K: StrEnum](
        self,
        actor: Principal,
        upload: ImportUpload[K],
        build: Callable[[str], Awaitable[tuple[J, Chunks]]],
    ) -> J:
        """The upload as a queued job: `build(sha256 of the file)` reads the file into the job
        (not stored yet) and its batches. A repeated key with the same file returns the
        first job without reading the file again."""
        sha = hashlib.sha256(upload.data).hexdigest()
        guard = f"{actor.sub}:{upload.idempotency_key}" if upload.idempotency_key else None
        if guard and (existing := await self._existing(guard, sha)):
            return existing
        job, chunks = await build(sha)
        await self.jobs.stage(job.id, chunks)
        return await self._queue(job, guard)

    async def _queue(self, job: J, guard: str | None) -> J:
        """Store the job (with its idempotency guard); a concurrent upload with the same key
        that won gets its job returned and this one's staged rows dropped."""

        async def work(tx: Transaction) -> str:
            if guard:
                if (winner := await self.jobs.job_for_key(guard, tx.session)) is not None:
                    return winner
                await self.jobs.claim_key(guard, job.id, job.created_at, tx.session)
            await self.jobs.insert(job, tx.session)
            return job.id

        try:
            job_id: str | None = await self.uow.run(work)
        except DuplicateKeyError:  # a concurrent upload with the same key won
            job_id = (await self.jobs.job_for_key(guard)) if guard else None
            if job_id is None:
                raise
        if job_id is not None and job_id != job.id:
            await self.jobs.discard(job.id, job.chunk_count)
            found = await self.jobs.get(job_id)
            assert found is not None
            return found
        return job

    async def _existing(self, guard: str, sha: str) -> J | None:
        job_id = await self.jobs.job_for_key(guard)
        if job_id is None:
            return None
        job = await self.jobs.get(job_id)
        if job is None:
            return None
        if job.file_sha256 != sha:
            raise Conflict(
                "This idempotencyKey was used for a different file", conflicting_id=job.id
            )
        return job
