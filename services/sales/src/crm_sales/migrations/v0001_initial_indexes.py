"""0001: the indexes the first release queries with (outbox, inbox, sales data)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.migrations import KIT_INDEXES
from crm_kit.mongo import Document, ensure_indexes
from crm_sales.migrations.indexes import ALL_INDEXES


async def apply(db: AsyncDatabase[Document]) -> None:
    await ensure_indexes(db, [*KIT_INDEXES, *ALL_INDEXES])
