"""Migration 0004: customers stored with the earlier search terms (no one-letter prefixes, pinyin
only from a name's start, no landline tokens) are found like new ones once it has run."""

from __future__ import annotations

import pytest

from crm_customer.migrations import v0004_search_terms
from tests.integration.customer.master_data import Service

pytestmark = pytest.mark.integration


async def test_rebuilt_search_terms_find_older_records(svc: Service) -> None:
    made = await svc.create(name="王秀英", phones=["13700137000"])
    enterprise = await svc.create(kind="ENTERPRISE", name="Anna Trading", phones=["021-58881234"])
    # as the earlier tokeniser left them: whole names and pinyin from the first syllable only
    older = {made["id"]: ["wangxiuying", "王秀英"], enterprise["id"]: ["anna", "trading"]}
    for cid, terms in older.items():
        await svc.db.customers.update_one({"_id": cid}, {"$set": {"search_terms": terms}})
    assert await svc.search(text="xiuying") == []
    assert await svc.search(text="Anna T") == []

    await v0004_search_terms.apply(svc.db)
    await v0004_search_terms.apply(svc.db)  # idempotent

    assert await svc.search(text="xiuying") == ["王秀英"]
    assert await svc.search(text="Anna T") == ["Anna Trading"]
    assert await svc.search(text="(021)5888-1234") == ["Anna Trading"]
    assert await svc.search(text="137 0013 7000") == ["王秀英"]
