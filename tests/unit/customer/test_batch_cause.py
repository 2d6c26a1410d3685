"""The cause of a batch (events/batch.py): every customer event emitted while an import or a
bulk update runs names it; none other does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from crm_customer.events.batch import Batch, BatchKind, caused_by, tagged

STARTED = datetime(2026, 3, 2, 14, 29, tzinfo=UTC)


async def test_events_emitted_inside_a_batch_name_it_even_from_tasks_it_starts() -> None:
    batch = Batch(BatchKind.IMPORT, "job-7", STARTED)
    expected = {"kind": "IMPORT", "id": "job-7", "startedAt": "2026-03-02T14:29:00+00:00"}
    assert tagged({"ownerId": "bob"}) == {"ownerId": "bob"}
    with caused_by(batch):
        assert tagged({"ownerId": "bob"}) == {"ownerId": "bob", "batch": expected}

        async def in_a_transaction_task() -> dict[str, object]:
            return tagged({})

        # the unit of work runs each transaction in a task of its own
        assert await asyncio.ensure_future(in_a_transaction_task()) == {"batch": expected}
    assert tagged({"ownerId": "bob"}) == {"ownerId": "bob"}


def test_each_bulk_update_is_a_batch_of_its_own() -> None:
    first, second = Batch.bulk_update(STARTED), Batch.bulk_update(STARTED)
    assert first.kind is BatchKind.BULK_UPDATE and first.id != second.id
