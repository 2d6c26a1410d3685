"""Read side of possible duplicates: groups of open deals of one customer with the same name
key (`nameKey`, stored by the opportunity store from `model.name_key`), among the deals the
caller may list, a page at a time in key order. One aggregate per page (served by the
`status_customer_name` index) and one for the count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_kit.policy import restrict
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.opportunities.values import Status
from crm_sales.shared.listing import KeyKind, KeysetOrder, Page, Position

GROUP_ORDER = KeysetOrder("OPPORTUNITY_DUPLICATES", "_id", KeyKind.TEXT)
MAX_GROUP_SIZE = 50  # deals shown per group (a name repeated more is a data problem)


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Open deals of one customer whose names match, oldest first."""

    key: str  # customer id and name key: the group's place in the list
    customer_id: str
    opportunity_ids: tuple[str, ...]
    size: int  # all matching deals (opportunity_ids holds at most MAX_GROUP_SIZE)


def _group(doc: Document) -> DuplicateGroup:
    ids = tuple(str(i) for i in doc["ids"])
    return DuplicateGroup(str(doc["_id"]), str(doc["customerId"]), ids[:MAX_GROUP_SIZE], len(ids))


class DuplicateQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[OPPORTUNITIES]

    def _groups(self, condition: dict[str, Any], customer_id: str | None) -> list[Document]:
        match: dict[str, Any] = {"status": str(Status.OPEN), "nameKey": {"$nin": [None, ""]}}
        if customer_id:
            match["customerId"] = customer_id
        return [
            {"$match": restrict(match, condition) if condition else match},
            {"$sort": {"createdAt": 1, "_id": 1}},
            {
                "$group": {
                    "_id": {"$concat": ["$customerId", "|", "$nameKey"]},
                    "customerId": {"$first": "$customerId"},
                    "ids": {"$push": "$_id"},
                    "n": {"$sum": 1},
                }
            },
            {"$match": {"n": {"$gte": 2}}},
        ]

    async def page(
        self,
        condition: dict[str, Any],
        customer_id: str | None,
        first: int,
        after: Position | None,
    ) -> Page[DuplicateGroup]:
        """`first` groups after `after` in key order, within the scope `condition`."""
        if first <= 0:
            return Page([], [], False)
        pipeline = self._groups(condition, customer_id)
        if after is not None:
            pipeline.append({"$match": {"_id": {"$gt": after.value}}})
        pipeline += [{"$sort": {"_id": 1}}, {"$limit": first + 1}]
        docs = await (await self._collection.aggregate(pipeline)).to_list()
        kept = docs[:first]
        return Page(
            [_group(d) for d in kept], [GROUP_ORDER.cursor(d) for d in kept], len(docs) > first
        )

    async def count(self, condition: dict[str, Any], customer_id: str | None) -> int:
        pipeline = [*self._groups(condition, customer_id), {"$count": "n"}]
        docs = await (await self._collection.aggregate(pipeline)).to_list()
        return int(docs[0]["n"]) if docs else 0
