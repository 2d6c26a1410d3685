"""MongoDB adapter of duplicates: the match-key registry, candidate pairs and merge records.

- `customer_match_keys`: one document per match key (`_id`), listing the customers holding it;
  a duplicate check is one `_id $in` lookup, and a key's first insert is the uniqueness guard.
  A lookup reads the BLOCK_SIZE newest holders of a key; a block key (``near:…``) keeps only
  those, so no lookup or write handles a block of thousands of look-alike names. A key no one
  holds any more is deleted (an erased person's name and birthday do not stay behind in it).
- `duplicate_pairs`: candidate pairs for review (`_id` = ``<a>:<b>``), best score kept; a
  record opens at most MAX_PAIRS of them, the strongest.
- `customer_merges`: each merge with the records as they were, for unmerge.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, DeleteMany, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.store import insert_all
from crm_customer.duplicates.model import BLOCK_SIZE, is_block_key, strongest_per_record
from crm_kit.errors import NotFound
from crm_kit.mongo import Document, IndexSpec, Session

DUPLICATE_PAIRS = "duplicate_pairs"
MATCH_KEYS = "customer_match_keys"
MERGES = "customer_merges"

MATCH_KEY_INDEXES = IndexSpec(MATCH_KEYS, ())
MERGE_INDEXES = IndexSpec(
    MERGES, (IndexModel([("survivor_id", ASCENDING), ("at", DESCENDING)], name="survivor"),)
)
PAIR_INDEXES = IndexSpec(
    DUPLICATE_PAIRS,
    (IndexModel([("status", ASCENDING), ("score", DESCENDING)], name="open_by_score"),),
)


def holder_update(key: str, ids: list[str]) -> Document:
    """The update adding holders to a key: a block key keeps its BLOCK_SIZE newest (a holder
    it already has may appear twice; lookups read each once), any other key every holder."""
    if is_block_key(key):
        return {"$push": {"ids": {"$each": list(ids), "$slice": -BLOCK_SIZE}}}
    return {"$addToSet": {"ids": {"$each": list(ids)}}}


class DuplicateRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._keys = db[MATCH_KEYS]
        self._pairs = db[DUPLICATE_PAIRS]
        self._merges = db[MERGES]

    # --- match keys ---------------------------------------------------------------------------

    async def key_holders(
        self, keys: Collection[str], session: Session | None = None
    ) -> dict[str, list[str]]:
        """Which customers hold each of these match keys (one `_id $in` lookup)."""
        return {k: ids for k, ids in (await self.key_documents(keys, session)).items() if ids}

    async def key_documents(
        self, keys: Collection[str], session: Session | None = None
    ) -> dict[str, list[str]]:
        """key → holder ids (the BLOCK_SIZE newest, oldest first) of the registered keys among
        `keys`: one `_id $in` lookup, served by the primary key on any collection size."""
        if not keys:
            return {}
        cursor = self._keys.find(
            {"_id": {"$in": sorted(set(keys))}},
            {"ids": {"$slice": -BLOCK_SIZE}},
            session=session,
        )
        return {d["_id"]: list(d.get("ids") or []) async for d in cursor}

    async def register_keys(
        self,
        customer_id: str,
        old: set[str],
        new: set[str],
        session: Session,
        registered: Collection[str] | None = None,
    ) -> None:
        """Keep the match-key registry in step with a customer's document (same transaction).
        `registered`: the keys among `new - old` known to exist (read in this transaction).
        Keys the customer leaves lose it; those left with no holder are deleted."""
        added = {k: [customer_id] for k in new - old}
        await self.register_many(added, session, registered)
        gone = sorted(old - new)
        if gone:
            leave: list[UpdateOne | DeleteMany] = [
                UpdateOne({"_id": k}, {"$pull": {"ids": customer_id}}) for k in gone
            ]
            leave.append(DeleteMany({"_id": {"$in": gone}, "ids": {"$size": 0}}))
            await self._keys.bulk_write(leave, ordered=True, session=session)

    async def register_many(
        self,
        added: Mapping[str, list[str]],
        session: Session,
        registered: Collection[str] | None = None,
    ) -> None:
        """Add holders to keys (key → customer ids) in at most three commands.

        A key seen for the first time is inserted (its `_id` is the uniqueness guard): a
        concurrent first insert of the same key fails the transaction with a duplicate key.
        Existing keys get the ids added; a block key keeps its BLOCK_SIZE newest holders.
        `registered` (keys known to exist, read in this transaction) saves the lookup.
        """
        if not added:
            return
        if registered is None:
            registered = set(await self.key_documents(added, session))
        fresh = [
            {"_id": k, "ids": list(ids)[-BLOCK_SIZE:] if is_block_key(k) else list(ids)}
            for k, ids in sorted(added.items())
            if k not in registered
        ]
        if fresh:
            await self._keys.insert_many(fresh, session=session)
        grown = [
            UpdateOne({"_id": k}, holder_update(k, ids))
            for k, ids in sorted(added.items())
            if k in registered
        ]
        if grown:
            await self._keys.bulk_write(grown, ordered=True, session=session)

    # --- candidate pairs ----------------------------------------------------------------------

    async def record_pairs(
        self,
        customer_id: str,
        matches: list[tuple[str, str, float]],
        now: datetime,
        session: Session,
    ) -> None:
        await self.record_pairs_many(
            [(customer_id, other, rule, score) for other, rule, score in matches], now, session
        )

    async def record_pairs_many(
        self, pairs: list[tuple[str, str, str, float]], now: datetime, session: Session
    ) -> None:
        """Open candidate pairs (record, other, rule, score), each record's MAX_PAIRS strongest;
        a pair seen before keeps its best score. One lookup and at most two writes for any
        number of pairs."""
        best: dict[str, tuple[str, str, str, float]] = {}
        for one, other, rule, score in strongest_per_record(pairs):
            a, b = sorted((one, other))
            pair_id = f"{a}:{b}"
            if pair_id not in best or score > best[pair_id][3]:
                best[pair_id] = (a, b, rule, score)
        if not best:
            return
        cursor = self._pairs.find({"_id": {"$in": sorted(best)}}, {"score": 1}, session=session)
        stored = {d["_id"]: float(d["score"]) async for d in cursor}
        fresh = [
            {"_id": pid, "ids": [a, b], "created_at": now, "status": "OPEN", "score": score,
             "rule": rule}
            for pid, (a, b, rule, score) in sorted(best.items())
            if pid not in stored
        ]  # fmt: skip
        await insert_all(self._pairs, fresh, session)
        better = [
            UpdateOne({"_id": pid}, {"$set": {"score": score, "rule": rule}})
            for pid, (_, _, rule, score) in sorted(best.items())
            if pid in stored and score > stored[pid]
        ]
        if better:
            await self._pairs.bulk_write(better, ordered=True, session=session)

    async def resolve_pair(self, pair_id: str, status: str, session: Session) -> None:
        result = await self._pairs.update_one(
            {"_id": pair_id}, {"$set": {"status": status}}, session=session
        )
        if result.matched_count == 0:
            raise NotFound("DuplicatePair", pair_id)

    async def close_pairs(self, ids: Sequence[str], status: str, session: Session) -> None:
        ordered = sorted(ids)
        pair_ids = [f"{a}:{b}" for i, a in enumerate(ordered) for b in ordered[i + 1 :]]
        await self._pairs.update_many(
            {"_id": {"$in": pair_ids}}, {"$set": {"status": status}}, session=session
        )

    # --- merges -------------------------------------------------------------------------------

    async def add_merge(self, record: Document, session: Session) -> None:
        await self._merges.insert_one(record, session=session)

    async def get_merge(self, merge_id: str, session: Session) -> Document:
        doc = await self._merges.find_one({"_id": merge_id}, session=session)
        if doc is None:
            raise NotFound("CustomerMerge", merge_id)
        return doc

    async def mark_unmerged(self, merge_id: str, at: datetime, session: Session) -> None:
        await self._merges.update_one(
            {"_id": merge_id}, {"$set": {"status": "UNMERGED", "unmerged_at": at}}, session=session
        )

    # --- erasure ------------------------------------------------------------------------------

    async def redact(self, customer_id: str, session: Session) -> None:
        """Erasure: merge records lose the erased record's data; its open pairs close."""
        await self._merges.update_many(
            {"before._id": customer_id},
            {"$set": {"before": [], "status": "REDACTED"}},
            session=session,
        )
        await self._pairs.update_many(
            {"ids": customer_id, "status": "OPEN"}, {"$set": {"status": "ERASED"}}, session=session
        )
