"""The turn counters of assignment rules in MongoDB: one document per rule (`_id` = the
rule's id, `n` = the turns taken so far). See `crm_kit.assignment_rules` for what a turn
decides.

A turn is taken either on its own (no session: one atomic `$inc`, so concurrent creates on any
number of replicas each get a distinct turn and never conflict; a turn taken for a create
that then fails is simply skipped) or inside the caller's transaction (a session: the turn
commits or rolls back with the record it chose an owner for; concurrent transactions under one
rule then conflict over the counter and the later one is retried)."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from crm_kit.mongo import Document, Session


class TurnCounters:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._c = collection

    async def next_turn(self, rule_id: str, session: Session | None = None) -> int:
        """Advance the rule's counter atomically and return its new value (1, 2, …)."""
        return await self.next_turns(rule_id, 1, session)

    async def next_turns(self, rule_id: str, count: int, session: Session | None = None) -> int:
        """Take `count` consecutive turns at once (a batch of creates); returns the last of
        them, so the batch's turns are `last - count + 1 … last`."""
        for attempt in range(3):
            try:
                doc = await self._c.find_one_and_update(
                    {"_id": rule_id},
                    {"$inc": {"n": count}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                    session=session,
                )
                if doc is not None:
                    return int(doc["n"])
            except DuplicateKeyError:  # two first upserts raced: the loser retries as an update
                if attempt == 2 or session is not None:  # a transaction is retried as a whole
                    raise
        raise AssertionError("unreachable")

    async def peek_turn(self, rule_id: str, session: Session | None = None) -> int:
        """The turn `next_turn` would take now, without taking it (a preview)."""
        doc = await self._c.find_one({"_id": rule_id}, session=session)
        return int(doc["n"]) + 1 if doc else 1

    async def forget(self, rule_id: str, session: Session | None = None) -> None:
        """A deleted rule's counter goes with it."""
        await self._c.delete_one({"_id": rule_id}, session=session)
