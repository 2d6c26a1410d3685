"""0004: the indexes of quotes (`quotes.store`): the unique number and version of each quote,
and the orders and per-opportunity lists it is read by. The counters (`quote_numbers`) and the
settings (`quote_settings`) are read by `_id` only."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, ensure_indexes
from crm_sales.quotes import store as quotes


async def apply(db: AsyncDatabase[Document]) -> None:
    await ensure_indexes(db, quotes.INDEXES)
