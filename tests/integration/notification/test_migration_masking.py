"""Migration 0002 masks the contact data earlier versions kept in the delivery log."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient

from crm_kit.mongo import Document
from crm_notification.migrations import v0002_mask_delivery_addresses
from tests.support import unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_stored_addresses_and_errors_are_masked(mongodb_uri: str) -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    db = client[unique("mig_notification")]
    try:
        await db["deliveries"].insert_many(
            [
                {
                    "_id": "d1",
                    "channel": "EMAIL",
                    "address": "wang.wei@example.cn",
                    "last_error": "550 <wang.wei@example.cn> unknown",
                },
                {"_id": "d2", "channel": "SMS", "address": "+8613800138000", "last_error": None},
                {"_id": "d3", "channel": "WEBHOOK", "address": "https://hooks.example.com/x"},
            ]
        )
        await v0002_mask_delivery_addresses.apply(db)
        await v0002_mask_delivery_addresses.apply(db)  # idempotent
        docs = {d["_id"]: d async for d in db["deliveries"].find()}
        assert docs["d1"]["address"] == "w***@example.cn"
        assert docs["d1"]["last_error"] == "550 <w***@example.cn> unknown"
        assert docs["d2"]["address"] == "+86*******8000"
        assert docs["d3"]["address"] == "https://hooks.example.com/x"
    finally:
        await client.drop_database(db.name)
        await client.close()
