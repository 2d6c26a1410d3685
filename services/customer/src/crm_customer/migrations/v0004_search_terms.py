"""0004: every customer's ``search_terms`` rebuilt by the current tokeniser
(`crm_customer.customers.search`): one-letter prefixes, pinyin from every syllable, and the
tokens of landline and 400 / 800 numbers, so records stored before find the same as new ones.

Idempotent: a document whose terms are already current is left alone. A record changed by the
service while this runs is not overwritten (the update is conditional on the version read):
the service wrote its terms with the same tokeniser. Needs the same CUSTOMER_DATA_KEYS as the
service (phone and e-mail tokens are sealed, contact data is read back to make them).
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.documents import from_document, search_terms
from crm_customer.customers.store import CUSTOMERS
from crm_customer.protection.crypto import DataProtector
from crm_kit.mongo import Document


async def apply(db: AsyncDatabase[Document]) -> None:
    protector = DataProtector.from_env()
    async for doc in db[CUSTOMERS].find({}):
        terms = search_terms(from_document(doc, protector), protector)
        if terms == doc.get("search_terms"):
            continue
        await db[CUSTOMERS].update_one(
            {"_id": doc["_id"], "version": doc.get("version")},
            {"$set": {"search_terms": terms}},
        )
