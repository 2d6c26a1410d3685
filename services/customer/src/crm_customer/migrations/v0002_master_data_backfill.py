"""0002: customers written before the master-data fields existed get their derived fields (search
terms, region, name key, contact phones/emails) and their match keys for duplicate checks.

Idempotent: only documents without `search_terms` are rewritten; keys are added with
`$addToSet`. Needs the same CUSTOMER_DATA_KEYS as the service (identity numbers are read
back and re-encrypted).
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.documents import from_document, to_document
from crm_customer.customers.store import CUSTOMERS
from crm_customer.duplicates.model import match_keys
from crm_customer.duplicates.store import MATCH_KEYS
from crm_customer.protection.crypto import DataProtector
from crm_kit.mongo import Document


async def apply(db: AsyncDatabase[Document]) -> None:
    protector = DataProtector.from_env()
    cursor = db[CUSTOMERS].find({"search_terms": {"$exists": False}})
    async for old in cursor:
        doc = to_document(from_document(old, protector), protector)
        await db[CUSTOMERS].replace_one({"_id": old["_id"]}, doc)
        if doc.get("merged_into"):
            continue
        for key in sorted(match_keys(doc)):
            await db[MATCH_KEYS].update_one(
                {"_id": key}, {"$addToSet": {"ids": old["_id"]}}, upsert=True
            )
