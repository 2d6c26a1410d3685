"""The board's running sums: one summary document per (pipeline, stage, status, currency, owner,
team), changed in the transaction of every opportunity write, so that a board's counts and
sums read a few dozen summaries however many deals its pipeline holds.

The key fields carry the opportunity documents' own names (`pipelineId`, `stageId`, `status`,
`currency`, `ownerId`, `team`): a board filter on pipeline, stages, owner, team and statuses,
and the caller's access condition (`access.condition`, on owner and team), select the
summaries with the very MongoDB condition that selects the deals. A customer or an
expected-close range is not part of the key: such a board falls back to the aggregate
(`kanban.queries.served_by_summaries`).

A summary keeps, besides how many deals it holds and how many have an amount:
- `minor`: Σ amount in the currency's minor units, every deal with an amount;
- `defaultMinor`: the part of it of open deals at their stage's default probability, and
  `overrideWeight`: Σ amount × override of open deals with an override — apart, so that the
  weighted sum follows a revised stage default without touching a summary;
- `booked` / `bookedMinor`: closed deals with a booked base amount, and its sum (base minor
  units), which is what the board shows for them.

`OpportunityRepository` applies `changes(before, after)` of each write it stores; `rebuild`
recomputes every summary from the opportunities (the migration introducing them, and a repair
after writes that bypassed the service, such as bulk seeding).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session, transaction_options
from crm_sales.opportunities.values import Status

BOARD_SUMMARIES = "opportunity_board_summaries"
KEY_FIELDS = ("pipelineId", "stageId", "status", "currency", "ownerId", "team")
COUNTERS = ("count", "priced", "minor", "defaultMinor", "overrideWeight", "booked", "bookedMinor")
# What an opportunity document must show to find its summary and its share of it.
SOURCE_FIELDS: dict[str, int] = dict.fromkeys(
    (*KEY_FIELDS, "amount", "amountMinor", "bookedMinor", "probabilityOverride"), 1
)

INDEXES: list[IndexSpec] = [
    IndexSpec(
        BOARD_SUMMARIES,
        (IndexModel([("pipelineId", ASCENDING), ("stageId", ASCENDING)], name="pipeline_stage"),),
    ),
]

type Key = tuple[Any, ...]
type Counters = dict[str, int]


@dataclass(frozen=True, slots=True)
class Summary:
    """One summary as the board reads it (see the module's description of the sums)."""

    stage_id: str
    status: Status
    currency: str
    count: int
    priced: int
    minor: int
    default_minor: int
    override_weight: int
    booked: int
    booked_minor: int


def summary_id(key: Key) -> str:
    """The summary's `_id`: its key as JSON text (ids may hold any character)."""
    return json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))


def share(doc: Document) -> tuple[Key, Counters]:
    """The summary an opportunity document belongs to, and what it adds to it."""
    minor = int(doc.get("amountMinor") or 0)
    booked = doc.get("bookedMinor")
    override = (doc.get("probabilityOverride") or {}).get("value")
    # A closed deal's odds come from its status (won 100, lost 0), never from an override.
    is_open = doc.get("status") == Status.OPEN
    counters = {
        "count": 1,
        "priced": int(doc.get("amount") is not None),
        "minor": minor,
        "defaultMinor": minor if is_open and override is None else 0,
        "overrideWeight": minor * int(override) if is_open and override is not None else 0,
        "booked": int(booked is not None),
        "bookedMinor": int(booked or 0),
    }
    return tuple(doc.get(name) for name in KEY_FIELDS), counters


def _count_in(totals: dict[Key, Counters], doc: Document, sign: int) -> None:
    key, counters = share(doc)
    into = totals.setdefault(key, dict.fromkeys(COUNTERS, 0))
    for name, value in counters.items():
        into[name] += sign * value


def changes(before: Document | None, after: Document | None) -> dict[Key, Counters]:
    """Per summary, what a write takes away (`before`) and adds (`after`); summaries it
    leaves as they were (a write that moves no figure) are left out."""
    found: dict[Key, Counters] = {}
    for doc, sign in ((before, -1), (after, 1)):
        if doc is not None:
            _count_in(found, doc, sign)
    return {key: counters for key, counters in found.items() if any(counters.values())}


def _increment(key: Key, counters: Counters) -> UpdateOne:
    moved = {name: value for name, value in counters.items() if value}
    fields = dict(zip(KEY_FIELDS, key, strict=True))
    return UpdateOne({"_id": summary_id(key)}, {"$inc": moved, "$setOnInsert": fields}, upsert=True)


def summary_from_doc(doc: Document) -> Summary:
    # A counter a summary never moved is absent: `$inc` writes only what changed.
    return Summary(
        stage_id=str(doc["stageId"]),
        status=Status(doc["status"]),
        currency=str(doc["currency"]),
        count=int(doc.get("count", 0)),
        priced=int(doc.get("priced", 0)),
        minor=int(doc.get("minor", 0)),
        default_minor=int(doc.get("defaultMinor", 0)),
        override_weight=int(doc.get("overrideWeight", 0)),
        booked=int(doc.get("booked", 0)),
        booked_minor=int(doc.get("bookedMinor", 0)),
    )


class BoardSummaries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[BOARD_SUMMARIES]

    async def apply(
        self, before: Document | None, after: Document | None, session: Session
    ) -> None:
        """Move the figures of one opportunity write (None: created) — in its transaction,
        so the summaries never disagree with the deals. One command, none for a write that
        changes no figure (a renamed deal)."""
        writes = [_increment(key, counters) for key, counters in changes(before, after).items()]
        if writes:
            await self._collection.bulk_write(writes, session=session)

    async def find(self, query: Mapping[str, Any]) -> list[Summary]:
        """The summaries `query` selects (a condition on the key fields only)."""
        cursor = self._collection.find(dict(query))
        return [summary_from_doc(doc) async for doc in cursor]


async def rebuild(opportunities: AsyncCollection[Document]) -> int:
    """Every summary recomputed from the opportunities of `opportunities`' database, in one
    transaction, so that a write running meanwhile lands wholly before or after it; how many
    summaries there are. Idempotent."""
    target = opportunities.database[BOARD_SUMMARIES]
    counted: list[int] = []

    async def work(session: Session) -> None:
        totals: dict[Key, Counters] = {}  # afresh on every attempt: a retry starts over
        async for doc in opportunities.find({}, SOURCE_FIELDS, session=session):
            _count_in(totals, doc, 1)
        await target.delete_many({}, session=session)
        docs = [
            {"_id": summary_id(key), **dict(zip(KEY_FIELDS, key, strict=True)), **counters}
            for key, counters in totals.items()
        ]
        if docs:
            await target.insert_many(docs, session=session)
        counted[:] = [len(docs)]

    async with opportunities.database.client.start_session() as session:
        await session.with_transaction(work, **transaction_options())
    return counted[0]
