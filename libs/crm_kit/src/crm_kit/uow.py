"""Unit of work: a MongoDB transaction that also stages outgoing events in the outbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.events import CloudEvent, utcnow
from crm_kit.mongo import Document, Session, transaction_options
from crm_kit.telemetry import current_traceparent

OUTBOX_COLLECTION = "outbox"


@dataclass(slots=True)
class Transaction:
    """What a handler gets: the session to pass to every write, and a place to emit events."""

    session: Session
    source: str
    events: list[CloudEvent] = field(default_factory=list)
    committed: list[Callable[[], None]] = field(default_factory=list)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once this transaction has committed (never if it aborts; a retried
        transaction runs only the committed attempt's callbacks)."""
        self.committed.append(callback)

    def emit(self, type: str, subject: str, data: dict[str, Any]) -> CloudEvent:
        event = CloudEvent(
            type=type,
            source=self.source,
            subject=subject,
            data=data,
            traceparent=current_traceparent(),
        )
        self.events.append(event)
        return event


def outbox_document(event: CloudEvent, position: int | None = None) -> Document:
    """`position` orders the relay's publishing: commit time in ns, plus the index in its tx."""
    return {
        "_id": event.id,
        "position": time.time_ns() if position is None else position,
        "type": event.type,
        "subject": event.subject,
        "envelope": event.to_dict(),
        "status": "pending",
        "created_at": utcnow(),
        "attempts": 0,
    }


class UnitOfWork:
    """Runs a function in one transaction; its events are committed with it or not at all."""

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        db: AsyncDatabase[Document],
        source: str,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.db = db
        self.source = source
        self._on_commit = on_commit
        self.finish_on_cancel_seconds = FINISH_ON_CANCEL

    async def run[T](self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `work` in a transaction.

        A transaction is never cut off mid-command: when the caller is cancelled (a handler
        time limit, a closed consumer channel, shutdown, a client that went away), the work
        keeps running to its commit or abort for up to `finish_on_cancel_seconds` and only
        then is cancelled; the caller's cancellation is raised afterwards. A command cut off
        while queued at the server could otherwise open a transaction nobody ends, holding
        its locks until the server expires it (forever on the embedded development server).
        """
        task = asyncio.ensure_future(self._run(work))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            _, pending = await asyncio.wait({task}, timeout=self.finish_on_cancel_seconds)
            if pending:
                task.cancel()
                await asyncio.wait({task}, timeout=5)
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: the caller was cancelled, the outcome is moot
            raise

    async def _run[T](self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        last: list[Transaction] = []
        async with self.client.start_session() as session:

            async def attempt(s: Session) -> T:
                # Rebuilt on every attempt: with_transaction retries transient failures.
                tx = Transaction(session=s, source=self.source)
                last[:] = [tx]
                result = await work(tx)
                if tx.events:
                    base = time.time_ns()
                    await self.db[OUTBOX_COLLECTION].insert_many(
                        [outbox_document(e, base + i) for i, e in enumerate(tx.events)],
                        session=s,
                    )
                return result

            result = await session.with_transaction(
                attempt, max_commit_time_ms=10_000, **transaction_options()
            )
        if self._on_commit is not None:
            self._on_commit()
        for callback in last[0].committed if last else ():
            callback()
        return result


FINISH_ON_CANCEL = 30.0
SENT_RETENTION = timedelta(days=7)
