"""0002: the kanban board's summaries (`kanban.summaries`) built from the stored opportunities,
with their index; from this release on every opportunity write keeps them.

It is idempotent (it recomputes every summary in one transaction). Pods of the previous
release do not keep summaries, and a rolling update runs them beside this one for a while:
a write they store after this has run is missing from the summaries until
`kanban.summaries.rebuild` runs again, so scale the previous release down first (or rebuild
once the rollout is complete).
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, ensure_indexes
from crm_sales.kanban import summaries
from crm_sales.opportunities.store import OPPORTUNITIES


async def apply(db: AsyncDatabase[Document]) -> None:
    await ensure_indexes(db, summaries.INDEXES)
    await summaries.rebuild(db[OPPORTUNITIES])
