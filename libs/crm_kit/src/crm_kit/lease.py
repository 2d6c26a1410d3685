"""Leases: one holder at a time for a named job (the outbox relay) among several replicas.

A lease is one document `_id = <name>` holding `owner` and `expires_at`. The holder renews it
before it runs out; anyone may take it over once it has expired. The holder stops acting a
safety margin before its own view of the expiry, so a paused process whose lease was taken
over does not keep publishing. Only standard single-document atomic updates are used.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from crm_kit.events import utcnow
from crm_kit.mongo import Document

_log = logging.getLogger(__name__)

LEASES_COLLECTION = "leases"


def replica_id() -> str:
    """Who holds a lease: host, pid and a random part (a restarted pid is a new owner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        name: str,
        *,
        owner: str | None = None,
        ttl_seconds: float = 10.0,
    ) -> None:
        self._collection = collection
        self.name = name
        self.owner = owner or replica_id()
        self._ttl = timedelta(seconds=ttl_seconds)
        self._held_until: datetime | None = None

    @property
    def ttl_seconds(self) -> float:
        return self._ttl.total_seconds()

    def held(self) -> bool:
        """True while this replica may act: up to a third of the TTL before expiry."""
        return self._held_until is not None and utcnow() < self._held_until - self._ttl / 3

    def renewal_due(self) -> bool:
        return self._held_until is None or utcnow() >= self._held_until - self._ttl / 2

    async def acquire(self) -> bool:
        """Take the lease if free or expired, or renew it if ours; False if someone holds it."""
        now = utcnow()
        until = now + self._ttl
        was_held = self._held_until is not None
        self._held_until = None
        doc = await self._collection.find_one_and_update(
            {"_id": self.name, "$or": [{"owner": self.owner}, {"expires_at": {"$lte": now}}]},
            {"$set": {"owner": self.owner, "expires_at": until, "renewed_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            try:
                await self._collection.insert_one(
                    {"_id": self.name, "owner": self.owner, "expires_at": until, "renewed_at": now}
                )
            except DuplicateKeyError:
                if was_held:
                    _log.warning("lease lost", extra={"fields": {"lease": self.name}})
                return False
        if not was_held:
            _log.info("lease acquired", extra={"fields": {"lease": self.name, "owner": self.owner}})
        self._held_until = until
        return True

    async def ensure(self) -> bool:
        """Renew when due; returns whether this replica holds the lease now."""
        if self.renewal_due():
            return await self.acquire()
        return True

    async def release(self) -> None:
        """Give the lease up (graceful shutdown) so another replica takes over at once: it is
        left expired and without an owner."""
        if self._held_until is None:
            return
        self._held_until = None
        await self._collection.update_one(
            {"_id": self.name, "owner": self.owner},
            {"$set": {"owner": None, "expires_at": utcnow()}},
        )
