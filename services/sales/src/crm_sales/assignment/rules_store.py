"""MongoDB adapter of opportunity assignment rules (`_id` = rule id), their round-robin
counters (the kit's `TurnCounters`), the members' loads, and of how each deal got its owner
(`_id` = the deal's id: one document per deal, replaced by each later assignment).

Whatever a create reads or writes here goes through its transaction's session: a transaction
must see its own snapshot, and the embedded development server holds every other operation
until an open transaction ends (one outside it would wait on the very request that holds it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.assignment_rules import Strategy
from crm_kit.assignment_turns import TurnCounters
from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.assignment.rules_model import AssignedBy, OpportunityRule, OwnerReason
from crm_sales.money.model import Money
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.opportunities.values import Status

RULES = "opportunity_assignment_rules"
COUNTERS = "opportunity_assignment_counters"
ASSIGNED_BY = "opportunity_assigned_by"

INDEXES: list[IndexSpec] = [
    IndexSpec(RULES, (IndexModel([("position", ASCENDING), ("_id", ASCENDING)], name="order"),)),
]


def _money(value: Money | None) -> Document | None:
    return None if value is None else {"amount": value.text, "currency": value.currency}


def _money_of(doc: Document | None) -> Money | None:
    return None if doc is None else Money(Decimal(doc["amount"]), doc["currency"])


def rule_to_doc(rule: OpportunityRule) -> Document:
    return {
        "_id": rule.id,
        "name": rule.name,
        "team": rule.team,
        "strategy": str(rule.strategy),
        "position": rule.position,
        "pipelineIds": list(rule.pipeline_ids),
        "sources": list(rule.sources),
        "amountMin": _money(rule.amount_min),
        "amountMax": _money(rule.amount_max),
        "active": rule.active,
        "version": rule.version,
        "updatedAt": rule.updated_at,
        "updatedBy": rule.updated_by,
    }


def rule_from_doc(d: Document) -> OpportunityRule:
    return OpportunityRule(
        id=str(d["_id"]),
        name=d["name"],
        team=d["team"],
        strategy=Strategy(d["strategy"]),
        position=int(d["position"]),
        pipeline_ids=tuple(d.get("pipelineIds") or ()),
        sources=tuple(d.get("sources") or ()),
        amount_min=_money_of(d.get("amountMin")),
        amount_max=_money_of(d.get("amountMax")),
        active=bool(d["active"]),
        version=int(d["version"]),
        updated_at=d.get("updatedAt"),
        updated_by=d.get("updatedBy"),
    )


class RuleRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._rules = db[RULES]
        self._turns = TurnCounters(db[COUNTERS])

    async def all(self, session: Session | None = None) -> list[OpportunityRule]:
        """Every rule, in the order they are tried."""
        cursor = self._rules.find({}, session=session).sort([("position", 1), ("_id", 1)])
        return [rule_from_doc(d) async for d in cursor]

    async def get(self, rule_id: str, session: Session | None = None) -> OpportunityRule | None:
        doc = await self._rules.find_one({"_id": rule_id}, session=session)
        return None if doc is None else rule_from_doc(doc)

    async def get_many(self, ids: list[str]) -> dict[str, OpportunityRule]:
        cursor = self._rules.find({"_id": {"$in": list(dict.fromkeys(ids))}})
        return {str(d["_id"]): rule_from_doc(d) async for d in cursor}

    async def count(self, session: Session) -> int:
        return await self._rules.count_documents({}, session=session)

    async def add(self, rule: OpportunityRule, session: Session) -> None:
        await self._rules.insert_one(rule_to_doc(rule), session=session)

    async def save(self, rule: OpportunityRule, previous_version: int, session: Session) -> None:
        """Replace the rule if it is still at `previous_version` (else CONFLICT)."""
        found = await self._rules.replace_one(
            {"_id": rule.id, "version": previous_version}, rule_to_doc(rule), session=session
        )
        if found.matched_count != 1:
            raise Conflict(
                f"Assignment rule {rule.id} was changed meanwhile; reload and retry",
                conflicting_id=rule.id,
            )

    async def delete(self, rule_id: str, session: Session) -> None:
        await self._rules.delete_one({"_id": rule_id}, session=session)
        await self._turns.forget(rule_id, session)

    async def next_turn(self, rule_id: str, session: Session) -> int:
        """The rule's next turn, taken in the create's transaction: it commits with the deal
        it chose an owner for (a refused create takes none), and two concurrent creates under
        one rule conflict over it, so the later one is retried and takes the next turn."""
        return await self._turns.next_turn(rule_id, session)


class OwnerLoads:
    """Each member's load for LEAST_LOADED: their open deals, counted in the create's
    transaction (one `$group` over the `owner_status_close` index's leading fields)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._opportunities = db[OPPORTUNITIES]

    async def open_deals(
        self, owner_ids: list[str], session: Session, *, excluding: str
    ) -> dict[str, int]:
        """Open deals per owner, but `excluding` (the new deal, still its creator's)."""
        match = {
            "ownerId": {"$in": owner_ids},
            "status": str(Status.OPEN),
            "_id": {"$ne": excluding},
        }
        pipeline: list[Document] = [
            {"$match": match},
            {"$group": {"_id": "$ownerId", "n": {"$sum": 1}}},
        ]
        cursor = await self._opportunities.aggregate(pipeline, session=session)
        return {str(d["_id"]): int(d["n"]) async for d in cursor}


def _assigned_to_doc(a: AssignedBy) -> Document:
    return {
        "_id": a.opportunity_id,
        "reason": str(a.reason),
        "actorId": a.actor_id,
        "at": a.at,
        "ruleId": a.rule_id,
        "ruleName": a.rule_name,
        "strategy": str(a.strategy) if a.strategy else None,
    }


def _assigned_from_doc(d: Document) -> AssignedBy:
    strategy: Any = d.get("strategy")
    return AssignedBy(
        opportunity_id=str(d["_id"]),
        reason=OwnerReason(d["reason"]),
        actor_id=d["actorId"],
        at=d["at"],
        rule_id=d.get("ruleId"),
        rule_name=d.get("ruleName"),
        strategy=Strategy(strategy) if strategy else None,
    )


class AssignedByRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[ASSIGNED_BY]

    async def put(self, assigned: AssignedBy, session: Session) -> None:
        doc = _assigned_to_doc(assigned)
        await self._c.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)

    async def get_many(self, opportunity_ids: list[str]) -> dict[str, AssignedBy]:
        cursor = self._c.find({"_id": {"$in": list(dict.fromkeys(opportunity_ids))}})
        return {str(d["_id"]): _assigned_from_doc(d) async for d in cursor}
