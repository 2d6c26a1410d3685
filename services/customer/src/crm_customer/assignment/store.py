"""MongoDB adapter of the assignment rules (`_id` = rule id) and their round-robin counters."""

from __future__ import annotations

from dataclasses import asdict

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.assignment.model import Rule, Strategy
from crm_kit.assignment_turns import TurnCounters
from crm_kit.mongo import Document, IndexSpec, Session

RULES = "assignment_rules"
COUNTERS = "assignment_counters"

ASSIGNMENT_INDEXES: list[IndexSpec] = [IndexSpec(RULES, ()), IndexSpec(COUNTERS, ())]


def _rule(doc: Document) -> Rule:
    values = {k: v for k, v in doc.items() if k not in ("_id", "strategy")}
    return Rule(id=doc["_id"], strategy=Strategy(doc["strategy"]), **values)


class RuleRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._rules = db[RULES]
        self._turns = TurnCounters(db[COUNTERS])  # the kit's atomic per-rule counters

    async def all(self, session: Session | None = None) -> list[Rule]:
        cursor = self._rules.find({}, session=session).sort([("position", ASCENDING)])
        return [_rule(d) async for d in cursor]

    async def get(self, id: str, session: Session | None = None) -> Rule | None:
        doc = await self._rules.find_one({"_id": id}, session=session)
        return None if doc is None else _rule(doc)

    async def put(self, rule: Rule, session: Session) -> None:
        doc: Document = asdict(rule)
        doc["_id"] = doc.pop("id")
        await self._rules.replace_one({"_id": rule.id}, doc, upsert=True, session=session)

    async def delete(self, id: str, session: Session) -> bool:
        result = await self._rules.delete_one({"_id": id}, session=session)
        return result.deleted_count == 1

    async def next_turn(self, rule_id: str) -> int:
        """Advance the rule's counter atomically and return its new value (1, 2, …)."""
        return await self._turns.next_turn(rule_id)

    async def next_turns(self, rule_id: str, count: int) -> int:
        """Take `count` consecutive turns at once (a batch of creates); returns the last of
        them, so the batch's turns are `last - count + 1 … last`."""
        return await self._turns.next_turns(rule_id, count)

    async def peek_turn(self, rule_id: str) -> int:
        return await self._turns.peek_turn(rule_id)
