"""The read side of duplicates: the open candidate pairs, strongest first (equal scores by
id, so a page ends at a (score, id) position)."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.duplicates.model import DuplicatePair
from crm_customer.duplicates.store import DUPLICATE_PAIRS
from crm_kit.mongo import Document


class DuplicateQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._pairs = db[DUPLICATE_PAIRS]

    async def open_pairs(
        self, first: int, after: tuple[float, str] | None = None
    ) -> list[DuplicatePair]:
        """Open pairs, strongest first (equal scores by id), after the (score, id) of a page's
        last pair."""
        query: Document = {"status": "OPEN"}
        if after is not None:
            score, id = after
            query["$or"] = [{"score": {"$lt": score}}, {"score": score, "_id": {"$gt": id}}]
        cursor = (
            self._pairs.find(query).sort([("score", DESCENDING), ("_id", ASCENDING)]).limit(first)
        )
        return [
            DuplicatePair(
                id=d["_id"],
                customer_ids=(d["ids"][0], d["ids"][1]),
                rule=d["rule"],
                score=float(d["score"]),
                status=d["status"],
                created_at=d["created_at"],
            )
            async for d in cursor
        ]

    async def count_open_pairs(self) -> int:
        return await self._pairs.count_documents({"status": "OPEN"})
