"""Read side of communication records: the queries behind the GraphQL fields, every one served
by an index (customers' pages and counts are batched, see `shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.interactions.model import Interaction, Revision
from crm_interaction.interactions.store import (
    HISTORY,
    INTERACTIONS,
    interaction_from_doc,
    revision_from_doc,
)
from crm_interaction.shared import paging
from crm_kit.mongo import Document
from crm_kit.paging import Keyset


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Interaction]
    has_next: bool


class InteractionQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[INTERACTIONS]
        self._history = db[HISTORY]

    async def get(self, interaction_id: str) -> Interaction | None:
        doc = await self._collection.find_one({"_id": interaction_id})
        return interaction_from_doc(doc) if doc is not None else None

    async def history(self, interaction_id: str) -> list[Revision]:
        """Earlier states, oldest first (kept on every edit and deletion)."""
        docs = (
            await self._history.find({"interactionId": interaction_id})
            .sort("version", ASCENDING)
            .to_list()
        )
        return [revision_from_doc(d) for d in docs]

    async def pages(
        self, customer_ids: Sequence[str], first: int, after: Keyset | None
    ) -> dict[str, Page]:
        """Each customer's page (`first` items after `after`), in one aggregate."""
        found = await paging.page_per_customer(
            self._collection,
            customer_ids,
            order=paging.PageOrder("occurredAt"),
            first=first,
            after=after,
        )
        return {
            c: Page([interaction_from_doc(d) for d in docs], more)
            for c, (docs, more) in found.items()
        }

    async def counts(self, customer_ids: Sequence[str]) -> dict[str, int]:
        return await paging.count_per_customer(self._collection, customer_ids)

    async def last_occurred_at(self, customer_ids: Sequence[str]) -> dict[str, datetime]:
        """Latest occurredAt per customer, in one aggregate (DISTINCT_SCAN on the index)."""
        pipeline: list[Document] = [
            {"$match": {"customerId": {"$in": list(dict.fromkeys(customer_ids))}}},
            {"$sort": {"customerId": ASCENDING, "occurredAt": DESCENDING}},
            {"$group": {"_id": "$customerId", "last": {"$first": "$occurredAt"}}},
        ]
        cursor = await self._collection.aggregate(pipeline)
        return {str(doc["_id"]): doc["last"] async for doc in cursor}
