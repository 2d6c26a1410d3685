"""Unit of work: a MongoDB transaction that also stages outgoing events in the outbox."""

from __future__ import annotations

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


def outbox_document(event: CloudEvent) -> Document:
    return {
        "_id": event.id,
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

    async def run[T](self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        async with self.client.start_session() as session:

            async def attempt(s: Session) -> T:
                # Rebuilt on every attempt: with_transaction retries transient failures.
                tx = Transaction(session=s, source=self.source)
                result = await work(tx)
                if tx.events:
                    await self.db[OUTBOX_COLLECTION].insert_many(
                        [outbox_document(e) for e in tx.events], session=s
                    )
                return result

            result = await session.with_transaction(
                attempt, max_commit_time_ms=10_000, **transaction_options()
            )
        if self._on_commit is not None:
            self._on_commit()
        return result


SENT_RETENTION = timedelta(days=7)
