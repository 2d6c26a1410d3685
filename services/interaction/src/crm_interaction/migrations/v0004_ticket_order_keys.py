"""0004: every ticket list order served by an index. Tickets written before this release get
the sort keys the store now writes with every ticket (`resolutionDueKey`, `priorityRank`, see
`tickets.store`), then the indexes of every order are built.

Safe to run again, and beside the release still serving: the keys are computed by the database
from each ticket's own fields in one update per document, so a ticket changed meanwhile never
gets a stale key. A ticket the previous release rewrites after this ran has no keys until its
next change (that release writes whole documents without them); `backfill` may be run again
once the roll-out is done.
"""

from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.shared.listing import LATEST
from crm_interaction.tickets import store as tickets
from crm_kit.mongo import Document, ensure_indexes

# `tickets.sort_keys` as an update pipeline: each ticket's keys from its own fields.
SORT_KEYS = [
    {
        "$set": {
            "resolutionDueKey": {"$ifNull": ["$resolutionDueAt", LATEST]},
            "priorityRank": {"$indexOfArray": [list(tickets.PRIORITY_RANKS), "$priority"]},
        }
    }
]


async def backfill(collection: AsyncCollection[Document]) -> None:
    """Give every ticket the sort keys of its current fields."""
    await collection.update_many({}, SORT_KEYS)


async def apply(db: AsyncDatabase[Document]) -> None:
    await backfill(db[tickets.TICKETS])
    await ensure_indexes(db, tickets.INDEXES)
