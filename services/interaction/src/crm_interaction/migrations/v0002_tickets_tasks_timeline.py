"""0002: indexes of tickets, comments, agents, tasks, purchases, the timeline and the
scheduler's jobs."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.migrations.indexes import ALL_INDEXES
from crm_kit.mongo import Document, ensure_indexes


async def apply(db: AsyncDatabase[Document]) -> None:
    await ensure_indexes(db, ALL_INDEXES)
