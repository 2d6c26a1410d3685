"""0005: the name rules of duplicate detection changed — a person's name counts only with the
birthday (``person:…``, ``near:<region>:b:…``), an enterprise's numbers and branch are part of
its block keys, a block key keeps its newest holders — so every name, person and block key is
rebuilt from the stored customers: no person stays in a name-only key, and records stored
before are found by the new rules.

Idempotent: the keys are deleted and registered again (upserts, so a key a running service
registers meanwhile is joined, not refused); merged-away and erased records hold none.
"""

from __future__ import annotations

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.store import CUSTOMERS
from crm_customer.duplicates.model import match_keys
from crm_customer.duplicates.store import MATCH_KEYS, holder_update
from crm_kit.mongo import Document

NAME_KEYS = "^(name|person|near):"
CHUNK = 500
FIELDS = {"kind": 1, "name": 1, "name_key": 1, "region": 1, "birthday": 1}


async def _register(db: AsyncDatabase[Document], docs: list[Document]) -> None:
    """The name keys of these customers, in one command."""
    added: dict[str, list[str]] = {}
    for doc in docs:
        for key in sorted(match_keys(doc)):  # only the name fields are read: only name keys
            added.setdefault(key, []).append(doc["_id"])
    updates = [
        UpdateOne({"_id": k}, holder_update(k, ids), upsert=True) for k, ids in added.items()
    ]
    if updates:
        await db[MATCH_KEYS].bulk_write(updates, ordered=False)


async def apply(db: AsyncDatabase[Document]) -> None:
    await db[MATCH_KEYS].delete_many({"_id": {"$regex": NAME_KEYS}})
    query: Document = {"merged_into": None, "erased": {"$ne": True}, "region": {"$ne": None}}
    chunk: list[Document] = []
    async for doc in db[CUSTOMERS].find(query, FIELDS).sort("_id", 1):
        chunk.append(doc)
        if len(chunk) == CHUNK:
            await _register(db, chunk)
            chunk = []
    await _register(db, chunk)
