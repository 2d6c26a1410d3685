"""MongoDB adapter of the customer owner projection (`_id` = customer id, read by `_id` only)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, Session
from crm_notification.customers.model import CustomerOwner

CUSTOMER_ACCESS = "customer_access"


class CustomerOwnerRepository:
    """Owner and team per customer, as last assigned."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[CUSTOMER_ACCESS]

    async def save_if_newer(self, owner: CustomerOwner, session: Session) -> None:
        """Store `owner` unless a same-or-newer version is stored."""
        fields = {"ownerId": owner.owner_id, "team": owner.team, "version": owner.version}
        stored = await self._c.find_one({"_id": owner.customer_id}, {"version": 1}, session=session)
        if stored is None:
            await self._c.insert_one({"_id": owner.customer_id, **fields}, session=session)
        elif int(stored.get("version") or 0) <= owner.version:
            await self._c.update_one({"_id": owner.customer_id}, {"$set": fields}, session=session)

    async def owners(self, customer_ids: Sequence[str]) -> dict[str, CustomerOwner]:
        cursor = self._c.find({"_id": {"$in": list(dict.fromkeys(customer_ids))}})
        return {
            str(d["_id"]): CustomerOwner(
                str(d["_id"]), d.get("ownerId"), d.get("team"), int(d.get("version") or 0)
            )
            async for d in cursor
        }
