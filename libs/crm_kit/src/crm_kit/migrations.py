"""Versioned database migrations: indexes plus ordered, idempotent data scripts per service.

Run as an init step of every service pod (`python -m crm_<service>.migrate`), so several
replicas may start it at once. Safety comes from a `crm_kit.lease.Lease` in the `migrations`
collection (`_id = "<service>:lock"`): one runner holds it while it applies pending versions,
the others wait until it is released (or its lease expires after a crash) and then find
nothing left to do. Each applied version is recorded as `_id = "<service>:<version>"`.

A script must be idempotent (it may be re-run if its runner died before recording it) and
backward compatible with the release still serving traffic (expand first, contract in a later
release), because rolling updates run old and new pods side by side.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from crm_kit.consumer import INBOX_COLLECTION
from crm_kit.events import utcnow
from crm_kit.lease import Lease
from crm_kit.mongo import Document, IndexSpec, create_client, ensure_indexes
from crm_kit.outbox import OUTBOX_INDEXES
from crm_kit.settings import ServiceSettings

MIGRATIONS_COLLECTION = "migrations"
KIT_INDEXES: tuple[IndexSpec, ...] = (OUTBOX_INDEXES, IndexSpec(INBOX_COLLECTION, ()))
_VERSION = re.compile(r"^\d{4}$")

_log = logging.getLogger(__name__)

type MigrationFn = Callable[[AsyncDatabase[Document]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Migration:
    """One versioned script: `version` is four digits ("0001"), applied in ascending order."""

    version: str
    description: str
    apply: MigrationFn


@dataclass(frozen=True, slots=True)
class MigrationReport:
    applied: tuple[str, ...]
    already_applied: tuple[str, ...]


class MigrationError(RuntimeError):
    pass


def check_migrations(migrations: Sequence[Migration]) -> tuple[Migration, ...]:
    """Versions must be four digits and unique; returns them in ascending version order."""
    seen: set[str] = set()
    for migration in migrations:
        if not _VERSION.match(migration.version):
            raise MigrationError(f"migration version {migration.version!r} is not four digits")
        if migration.version in seen:
            raise MigrationError(f"migration version {migration.version} is defined twice")
        seen.add(migration.version)
    return tuple(sorted(migrations, key=lambda m: m.version))


class MigrationRunner:
    """Applies a service's pending migrations under a lease; safe from several processes."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        service: str,
        migrations: Sequence[Migration],
        indexes: Iterable[IndexSpec] = (),
        *,
        lease: timedelta = timedelta(minutes=5),
        poll_seconds: float = 0.5,
        wait_timeout: timedelta = timedelta(minutes=30),
        owner: str = "",
    ) -> None:
        self._db = db
        self._collection = db[MIGRATIONS_COLLECTION]
        self._service = service
        self._migrations = check_migrations(migrations)
        self._indexes = (*KIT_INDEXES, *indexes)
        self._lease = Lease(
            self._collection,
            self.lock_id,
            owner=owner or None,
            ttl_seconds=lease.total_seconds(),
        )
        self._poll_seconds = poll_seconds
        self._wait_timeout = wait_timeout

    @property
    def lock_id(self) -> str:
        return f"{self._service}:lock"

    def record_id(self, version: str) -> str:
        return f"{self._service}:{version}"

    async def applied_versions(self) -> set[str]:
        prefix = f"{self._service}:"
        versions: set[str] = set()
        async for doc in self._collection.find(
            {"_id": {"$regex": f"^{re.escape(prefix)}\\d{{4}}$"}}, {"_id": 1}
        ):
            versions.add(str(doc["_id"])[len(prefix) :])
        return versions

    async def run(self) -> MigrationReport:
        deadline = utcnow() + self._wait_timeout
        while not await self._lease.acquire():
            if utcnow() > deadline:
                raise MigrationError(f"timed out waiting for the {self.lock_id} lease")
            await asyncio.sleep(self._poll_seconds)
        try:
            await ensure_indexes(self._db, self._indexes)
            done = await self.applied_versions()
            applied: list[str] = []
            for migration in self._migrations:
                if migration.version in done:
                    continue
                await self._renew()
                _log.info(
                    "applying migration",
                    extra={
                        "fields": {
                            "service": self._service,
                            "version": migration.version,
                            "description": migration.description,
                        }
                    },
                )
                await migration.apply(self._db)
                await self._collection.insert_one(
                    {
                        "_id": self.record_id(migration.version),
                        "service": self._service,
                        "version": migration.version,
                        "description": migration.description,
                        "applied_at": utcnow(),
                        "applied_by": self._lease.owner,
                    }
                )
                applied.append(migration.version)
            already = tuple(m.version for m in self._migrations if m.version in done)
            return MigrationReport(applied=tuple(applied), already_applied=already)
        finally:
            await self._lease.release()

    async def _renew(self) -> None:
        if not await self._lease.acquire():
            raise MigrationError(f"lost the {self.lock_id} lease (a step ran past it)")


async def wait_for_database(
    db: AsyncDatabase[Document], timeout: timedelta = timedelta(minutes=10)
) -> None:
    """On a fresh cluster the replica set comes up after the pods: wait instead of failing."""
    deadline = utcnow() + timeout
    attempt = 0
    while True:
        try:
            await db.command("ping")
            return
        except PyMongoError as exc:
            if utcnow() > deadline:
                raise MigrationError(f"database not reachable: {type(exc).__name__}") from exc
            attempt += 1
            _log.warning(
                "database not reachable yet; retrying",
                extra={"fields": {"error": type(exc).__name__, "attempt": attempt}},
            )
            await asyncio.sleep(min(10.0, 0.5 * 2**attempt))


async def migrate(
    settings: ServiceSettings, migrations: Sequence[Migration], indexes: Iterable[IndexSpec]
) -> MigrationReport:
    client = create_client(settings.mongodb_uri, f"{settings.service_name}-migrate")
    try:
        await wait_for_database(client[settings.mongodb_database])
        runner = MigrationRunner(
            client[settings.mongodb_database], settings.service_name, migrations, indexes
        )
        return await runner.run()
    finally:
        await client.close()


def main(service: str, migrations: Sequence[Migration], indexes: Iterable[IndexSpec]) -> None:
    """Entry point of `python -m crm_<service>.migrate`: exits non-zero on any failure."""
    from crm_kit.logs import setup_logging

    settings = ServiceSettings.from_env(service, 0)  # the port is not used here
    setup_logging(f"{service}-migrate", settings.log_level, settings.log_format)
    report = asyncio.run(migrate(settings, migrations, indexes))
    _log.info(
        "migrations done",
        extra={
            "fields": {
                "service": service,
                "applied": list(report.applied),
                "already_applied": len(report.already_applied),
            }
        },
    )
