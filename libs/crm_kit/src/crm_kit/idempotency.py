"""Idempotent client writes: a retried request with the same `idempotencyKey` returns the first
result and creates nothing; the same key sent with a different request is a CONFLICT naming the
first result.

The key is scoped to the caller (two users may pick the same key) and to the operation. A
guard document (`_id` = operation + hashed caller and key) is written in the same transaction
as what the request creates, together with a fingerprint of the request, so the guard exists
iff the write committed. A request first looks its guard up; two concurrent first attempts race
on the guard's `_id` (uniqueness without a secondary index), the loser's transaction fails with
a duplicate key and it answers with the winner's result.

Single-document creations may instead derive the new document's own `_id` from the key
(`derived_id`) and compare the stored document with the request (`ensure_same_request`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_kit.errors import NotFound
from crm_kit.idempotency_keys import (  # the pure part, re-exported for the stores' callers
    KEY_MAX_CHARS,
    Key,
    derived_id,
    ensure_same_request,
    fingerprint,
    key_for,
    validate_key,
)
from crm_kit.mongo import Document, Session

__all__ = [
    "GUARDS_COLLECTION",
    "KEY_MAX_CHARS",
    "IdempotencyGuards",
    "Key",
    "derived_id",
    "ensure_same_request",
    "fingerprint",
    "key_for",
    "validate_key",
]

GUARDS_COLLECTION = "idempotency_guards"


class IdempotencyGuards:
    """The guard documents: `_id`, `targetId` (the first result), `fingerprint`, `createdAt`."""

    def __init__(self, db: AsyncDatabase[Document], collection: str = GUARDS_COLLECTION) -> None:
        self._collection = db[collection]

    async def find(self, guard_id: str, session: Session | None = None) -> Document | None:
        return await self._collection.find_one({"_id": guard_id}, session=session)

    async def find_many(
        self, guard_ids: Collection[str], session: Session | None = None
    ) -> dict[str, Document]:
        """The guards among `guard_ids`, by id (one `_id $in` lookup)."""
        if not guard_ids:
            return {}
        query = {"_id": {"$in": sorted(set(guard_ids))}}
        return {d["_id"]: d async for d in self._collection.find(query, session=session)}

    async def claim_many(
        self, claims: Sequence[tuple[Key, str]], at: datetime, session: Session
    ) -> None:
        """`claim` for several (key, target id) pairs in one insert; DuplicateKeyError when
        any of the keys was claimed concurrently."""
        docs: list[Document] = [
            {"_id": k.guard_id, "targetId": t, "fingerprint": k.fingerprint, "createdAt": at}
            for k, t in claims
        ]
        if not docs:
            return
        try:
            await self._collection.insert_many(docs, session=session)
        except BulkWriteError as exc:  # reported like `claim`: a concurrent claim won
            errors = exc.details.get("writeErrors") or []
            if errors and all(e.get("code") == 11000 for e in errors):
                raise DuplicateKeyError(str(errors[0].get("errmsg", "")), 11000) from exc
            raise

    async def claim(self, key: Key | None, target_id: str, at: datetime, session: Session) -> None:
        """Record, inside the write's transaction, that this key produced `target_id`
        (no-op without a key). A concurrent claim of the same key fails the transaction
        with DuplicateKeyError."""
        if key is None:
            return
        doc: Document = {
            "_id": key.guard_id,
            "targetId": target_id,
            "fingerprint": key.fingerprint,
            "createdAt": at,
        }
        await self._collection.insert_one(doc, session=session)

    async def first_result_id(self, key: Key | None, what: str) -> str | None:
        """The id this key produced before, None if unused (or no key); CONFLICT when it was
        used for a different request (`what` names the kind, e.g. "ticket")."""
        if key is None:
            return None
        guard = await self.find(key.guard_id)
        if guard is None:
            return None
        target = str(guard["targetId"])
        ensure_same_request(guard.get("fingerprint") == key.fingerprint, what, target)
        return target

    async def once[T](
        self,
        key: Key | None,
        what: str,
        load: Callable[[str], Awaitable[T | None]],
        write: Callable[[], Awaitable[T]],
    ) -> T:
        """`write()` (which must call `claim` in its transaction) unless this key already
        produced a result: then `load` that. A lost race on the guard answers with the
        winner's result."""
        first = await self._loaded(key, what, load)
        if first is not None:
            return first
        try:
            return await write()
        except DuplicateKeyError:
            if key is not None and (first := await self._loaded(key, what, load)) is not None:
                return first
            raise

    async def _loaded[T](
        self, key: Key | None, what: str, load: Callable[[str], Awaitable[T | None]]
    ) -> T | None:
        target = await self.first_result_id(key, what)
        if target is None:
            return None
        found = await load(target)
        if found is None:  # the guard commits with its target: only a later deletion gets here
            raise NotFound(what, target)
        return found
