"""MongoDB access: one AsyncMongoClient per process, transactions as a unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, IndexModel, monitoring
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

type Document = dict[str, Any]


def create_client(
    uri: str, app_name: str, listeners: Sequence[monitoring._EventListener] = ()
) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        uri,
        event_listeners=list(listeners),
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        retryWrites=True,
    )


@dataclass(frozen=True, slots=True)
class IndexSpec:
    collection: str
    indexes: tuple[IndexModel, ...]


async def ensure_indexes(db: AsyncDatabase[Document], specs: Iterable[IndexSpec]) -> None:
    """Create indexes idempotently (same name and keys → no-op)."""
    for spec in specs:
        if spec.indexes:
            await db[spec.collection].create_indexes(list(spec.indexes))


async def ping(client: AsyncMongoClient[Document]) -> bool:
    try:
        await client.admin.command("ping")
    except Exception:
        return False
    return True


def transaction_options() -> dict[str, Any]:
    return {
        "read_concern": ReadConcern("snapshot"),
        "write_concern": WriteConcern("majority"),
    }


type Session = AsyncClientSession
