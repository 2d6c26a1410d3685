"""Read side of the close reasons."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_sales.reasons.model import CloseReasonList
from crm_sales.reasons.store import CURRENT, REASONS, reasons_from_doc


class ReasonQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[REASONS]

    async def current(self) -> CloseReasonList:
        return reasons_from_doc(await self._collection.find_one({"_id": CURRENT}))
