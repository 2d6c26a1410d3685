"""The audit log in the service's own database.

Collections: ``audit_log`` (records, ``_id`` = zero-padded seq, never updated) and
``audit_meta`` with two documents: ``head`` (seq and hash of the newest record) and
``checkpoint`` (seq and hash of the newest record removed by retention; verification starts
there).

Concurrency: appending reads the head, moves it with a filter on the seq it read and inserts
the records — all with the caller's session, in the same transaction as the change. Two
concurrent appends both write the head document, so MongoDB aborts one with a write conflict
(TransientTransactionError) and `with_transaction` re-runs it on the new head: the chain is
serialised per service without a separate writer, and a change is never committed without
its record (nor a record without its change). The head document is the one hot spot: every
audited transaction of the service goes through it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.audit.chain import GENESIS, Break, Checker, Entry, Who, body, chain, iso, record_id
from crm_kit.events import utcnow
from crm_kit.mongo import Document, Session, transaction_options

AUDIT_LOG = "audit_log"
AUDIT_META = "audit_meta"
HEAD = "head"
CHECKPOINT = "checkpoint"


class ChainMoved(RuntimeError):
    """The head moved under this transaction (only without MongoDB's write-conflict abort)."""


@dataclass(frozen=True, slots=True)
class Verification:
    checked: int
    first_seq: int
    last_seq: int
    head_hash: str
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass(frozen=True, slots=True)
class Pruned:
    removed: int
    checkpoint_seq: int
    checkpoint_hash: str


class AuditLog:
    def __init__(
        self, client: AsyncMongoClient[Document], db: AsyncDatabase[Document], service: str
    ) -> None:
        self.client = client
        self.db = db
        self.service = service
        self._records = db[AUDIT_LOG]
        self._meta = db[AUDIT_META]
        self._head_ready = False
        self._last: tuple[int, str] | None = None

    async def ensure_head(self) -> None:
        """Create the head once, outside any transaction (an insert race inside one would
        abort it on MongoDB)."""
        if not self._head_ready:
            await self._meta.update_one(
                {"_id": HEAD},
                {"$setOnInsert": {"seq": 0, "hash": GENESIS}},
                upsert=True,
            )
            self._head_ready = True

    async def append(
        self, entries: Sequence[Entry], who: Who, session: Session, at: datetime | None = None
    ) -> list[Document]:
        """Chain and insert `entries` inside the caller's transaction.

        The head this process last committed is tried first (one conditional update, no read:
        the condition on seq *and* hash makes a stale guess simply not match); otherwise the
        head is read. Call `committed(docs)` once the transaction has committed.
        """
        if not entries:
            return []
        when = at or utcnow()
        bodies = [body(e, who, self.service, when) for e in entries]
        if self._last is not None:
            docs = chain(bodies, *self._last)
            if await self._move_head(self._last, docs, when, session):
                await self._records.insert_many(docs, session=session)
                return docs
        head = await self._meta.find_one({"_id": HEAD}, session=session)
        current = (int(head["seq"]), str(head["hash"])) if head else (0, GENESIS)
        docs = chain(bodies, *current)
        # The head before the records: a concurrent appender conflicts here (a transient
        # write conflict, retried by with_transaction), never on the record ids.
        if not await self._move_head(current, docs, when, session):
            raise ChainMoved("audit head moved during the transaction")
        await self._records.insert_many(docs, session=session)
        return docs

    async def _move_head(
        self, current: tuple[int, str], docs: list[Document], when: datetime, session: Session
    ) -> bool:
        result = await self._meta.update_one(
            {"_id": HEAD, "seq": current[0], "hash": current[1]},
            {"$set": {"seq": docs[-1]["seq"], "hash": docs[-1]["hash"], "at": iso(when)}},
            session=session,
        )
        return result.matched_count == 1

    def committed(self, docs: Sequence[Document]) -> None:
        """Remember the head a committed transaction left (saves a read next time)."""
        if docs:
            self._last = (int(docs[-1]["seq"]), str(docs[-1]["hash"]))

    async def append_now(self, entries: Sequence[Entry], who: Who) -> list[Document]:
        """Record in a transaction of its own (failed authorizations, reads, exports)."""
        if not entries:
            return []
        await self.ensure_head()
        async with self.client.start_session() as session:

            async def attempt(s: Session) -> list[Document]:
                return await self.append(entries, who, s)

            docs = await session.with_transaction(
                attempt, max_commit_time_ms=10_000, **transaction_options()
            )
        self.committed(docs)
        return docs

    # --- reading --------------------------------------------------------------------------

    async def meta(self) -> tuple[Document | None, Document | None]:
        head = await self._meta.find_one({"_id": HEAD})
        checkpoint = await self._meta.find_one({"_id": CHECKPOINT})
        return head, checkpoint

    async def scan(self, after_seq: int, batch: int = 500) -> AsyncIterator[Document]:
        """All records after `after_seq` in seq order (by `_id`, which sorts as seq does)."""
        last = record_id(after_seq)
        while True:
            cursor = self._records.find({"_id": {"$gt": last}}).sort("_id", ASCENDING).limit(batch)
            docs = [d async for d in cursor]
            for doc in docs:
                yield doc
            if len(docs) < batch:
                return
            last = docs[-1]["_id"]

    async def verify(self) -> Verification:
        head, checkpoint = await self.meta()
        start_seq = int(checkpoint["seq"]) if checkpoint else 0
        checker = Checker(start_seq, str(checkpoint["hash"]) if checkpoint else GENESIS)
        async for doc in self.scan(start_seq):
            if not checker.feed(doc):
                break
        head_seq = int(head["seq"]) if head else 0
        checker.finish(head_seq, str(head["hash"]) if head else GENESIS)
        return Verification(checker.checked, start_seq, checker.seq, checker.hash, checker.broken)

    async def query(
        self, filters: Document, first: int, before_seq: int | None
    ) -> tuple[list[Document], bool]:
        """Newest first; `before_seq` pages backwards."""
        query: Document = dict(filters)
        if before_seq is not None:
            query["_id"] = {"$lt": record_id(before_seq)}
        cursor = self._records.find(query).sort("_id", -1).limit(first + 1)
        docs = [d async for d in cursor]
        return docs[:first], len(docs) > first

    async def count(self, filters: Document) -> int:
        """How many records match `filters` (every page of `query`)."""
        return await self._records.count_documents(dict(filters))

    # --- retention ------------------------------------------------------------------------

    async def prune(self, older_than: timedelta, now: datetime | None = None) -> Pruned:
        """Delete records older than `older_than`, keeping the chain verifiable: the seq and
        hash of the newest removed record become the checkpoint, in the same transaction."""
        cutoff = iso((now or utcnow()) - older_than)
        last = await self._records.find_one(
            {"at": {"$lt": cutoff}}, sort=[("_id", -1)], projection={"seq": 1, "hash": 1}
        )
        if last is None:
            _, checkpoint = await self.meta()
            seq = int(checkpoint["seq"]) if checkpoint else 0
            return Pruned(0, seq, str(checkpoint["hash"]) if checkpoint else GENESIS)
        upto = record_id(int(last["seq"]))

        async with self.client.start_session() as session:

            async def attempt(s: Session) -> int:
                result = await self._records.delete_many({"_id": {"$lte": upto}}, session=s)
                await self._meta.update_one(
                    {"_id": CHECKPOINT},
                    {"$set": {"seq": int(last["seq"]), "hash": last["hash"], "at": iso(utcnow())}},
                    upsert=True,
                    session=s,
                )
                return int(result.deleted_count)

            removed = await session.with_transaction(
                attempt, max_commit_time_ms=10_000, **transaction_options()
            )
        return Pruned(removed, int(last["seq"]), str(last["hash"]))


def public(doc: Document) -> dict[str, Any]:
    """A record as exported (without the MongoDB `_id`)."""
    return {k: v for k, v in doc.items() if k != "_id"}
