"""0002: the delivery log keeps masked email addresses and phone numbers only (the real ones
are looked up when sending): mask what earlier versions stored. Safe to run again."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_notification.channels.model import Channel
from crm_notification.deliveries.privacy import masked, scrub
from crm_notification.deliveries.store import DELIVERIES


async def apply(db: AsyncDatabase[Document]) -> None:
    personal = {"channel": {"$in": [str(Channel.EMAIL), str(Channel.SMS)]}}
    async for doc in db[DELIVERIES].find(personal, {"channel": 1, "address": 1, "last_error": 1}):
        address = doc.get("address")
        update: dict[str, object] = {}
        if address and "*" not in str(address):
            update["address"] = masked(Channel(doc["channel"]), str(address))
        if doc.get("last_error"):
            update["last_error"] = scrub(str(doc["last_error"]))
        if update:
            await db[DELIVERIES].update_one({"_id": doc["_id"]}, {"$set": update})
