"""The cause of a change made as one of many — an import job, one bulk update — carried by
every customer event the change emits (`batch` in the payload), so that consumers can treat
the many as one (the notification service folds their notices into one per recipient).

The cause travels with the running task (a context variable) rather than through every use
case's signature: a customer created by an import, or assigned by a bulk update, goes through
the same use case as a single one; only the code that starts the batch knows it is one.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class BatchKind(StrEnum):
    IMPORT = "IMPORT"  # `id` is the import job's id
    BULK_UPDATE = "BULK_UPDATE"  # `id` is new for each `bulkUpdateCustomers` call


@dataclass(frozen=True, slots=True)
class Batch:
    kind: BatchKind
    id: str
    started_at: datetime  # no change of the batch is older: the start of its time window

    @classmethod
    def bulk_update(cls, now: datetime) -> Batch:
        return cls(BatchKind.BULK_UPDATE, uuid.uuid4().hex, now)

    def payload(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "id": self.id, "startedAt": self.started_at.isoformat()}


_current: ContextVar[Batch | None] = ContextVar("customer_batch", default=None)


@contextlib.contextmanager
def caused_by(batch: Batch) -> Iterator[None]:
    """Every customer event emitted inside (by this task and the tasks it starts) names
    `batch` as its cause."""
    token = _current.set(batch)
    try:
        yield
    finally:
        _current.reset(token)


def tagged(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with the current batch as `batch`, when the change is part of one."""
    batch = _current.get()
    return payload if batch is None else {**payload, "batch": batch.payload()}
