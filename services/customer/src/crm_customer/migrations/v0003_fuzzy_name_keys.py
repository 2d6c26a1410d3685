"""0003: customers stored before the similar-name rule existed register their fuzzy blocking
keys (``near:<region>:…``) so later creates and updates find them as candidates.

Idempotent: keys are added with `$addToSet`; merged-away and erased records are skipped.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.store import CUSTOMERS
from crm_customer.duplicates.fuzzy import block_keys
from crm_customer.duplicates.store import MATCH_KEYS
from crm_kit.mongo import Document


async def apply(db: AsyncDatabase[Document]) -> None:
    query: Document = {"merged_into": None, "erased": {"$ne": True}, "region": {"$ne": None}}
    async for doc in db[CUSTOMERS].find(query, {"name": 1, "region": 1}):
        for key in sorted(block_keys(str(doc.get("name") or ""), doc.get("region"))):
            await db[MATCH_KEYS].update_one(
                {"_id": key}, {"$addToSet": {"ids": doc["_id"]}}, upsert=True
            )
