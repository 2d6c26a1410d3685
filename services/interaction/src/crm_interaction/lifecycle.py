"""Customer lifecycle in this service: archive, merge (re-key to the survivor), erase.

Runs inside the consumer's transaction: every write takes the session.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.repository import (
    HISTORY,
    INTERACTIONS,
    CustomerProjection,
    InteractionRepository,
)
from crm_interaction.stores import PURCHASES, TASKS, TIMELINE
from crm_interaction.ticket_store import COMMENTS, TICKETS
from crm_kit.mongo import Document, Session

ERASED_TEXT = "[erased]"
OWNED = (INTERACTIONS, HISTORY, TICKETS, TASKS, PURCHASES, TIMELINE)


class CustomerLifecycle:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db
        self._customers = CustomerProjection(db)
        self._interactions = InteractionRepository(db)

    async def archive(self, customer_id: str, at: datetime, session: Session) -> None:
        await self._customers.set_lifecycle(customer_id, "ARCHIVED", None, at, session)

    async def merge(self, survivor: str, merged: list[str], at: datetime, session: Session) -> None:
        """Everything filed under the merged customers moves to the survivor."""
        for name in OWNED:
            await self._db[name].update_many(
                {"customerId": {"$in": merged}},
                {"$set": {"customerId": survivor}},
                session=session,
            )
        for customer_id in merged:
            await self._customers.set_lifecycle(customer_id, "MERGED", survivor, at, session)

    async def erase(self, customer_id: str, at: datetime, session: Session) -> None:
        """Remove personal content; keep ids, times, statuses and amounts for statistics."""
        await self._customers.set_lifecycle(customer_id, "ERASED", None, at, session)
        await self._interactions.erase_content(customer_id, session)
        ticket_ids = [
            str(d["_id"])
            async for d in self._db[TICKETS].find(
                {"customerId": customer_id}, {"_id": 1}, session=session
            )
        ]
        if ticket_ids:
            await self._db[COMMENTS].delete_many({"ticketId": {"$in": ticket_ids}}, session=session)
        await self._db[TICKETS].update_many(
            {"customerId": customer_id},
            {
                "$set": {
                    "subject": ERASED_TEXT,
                    "description": "",
                    "resolution": None,
                    "ratingComment": None,
                }
            },
            session=session,
        )
        await self._db[TASKS].update_many(
            {"customerId": customer_id},
            {"$set": {"title": ERASED_TEXT, "notes": None}},
            session=session,
        )
        await self._db[PURCHASES].update_many(
            {"customerId": customer_id},
            {"$set": {"items": []}},
            session=session,
        )
        await self._db[TIMELINE].update_many(
            {"customerId": customer_id},
            {"$set": {"title": ERASED_TEXT, "summary": None}},
            session=session,
        )
