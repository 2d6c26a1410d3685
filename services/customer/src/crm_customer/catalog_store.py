"""MongoDB adapters for the ADMIN catalogs: custom field definitions, tags, assignment rules
(with their round-robin counters). Each record's `_id` is its natural key (field key, tag
name, rule id), so uniqueness needs no secondary index."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_customer.assignment.model import Rule, Strategy
from crm_customer.catalog.model import FieldDefinition, FieldType, Tag
from crm_customer.repository import CUSTOMERS
from crm_kit.mongo import Document, IndexSpec, Session

DEFINITIONS = "custom_field_definitions"
TAGS = "tag_catalog"
RULES = "assignment_rules"
COUNTERS = "assignment_counters"

CATALOG_INDEXES: list[IndexSpec] = [
    IndexSpec(DEFINITIONS, ()),
    IndexSpec(TAGS, (IndexModel([("group", ASCENDING), ("_id", ASCENDING)], name="group"),)),
    IndexSpec(RULES, ()),
    IndexSpec(COUNTERS, ()),
]


def _doc(record: Any, key: str) -> Document:
    doc: Document = asdict(record)
    doc["_id"] = doc.pop(key)
    return doc


class CustomFieldStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._defs = db[DEFINITIONS]

    @staticmethod
    def _load(doc: Document) -> FieldDefinition:
        values = {k: v for k, v in doc.items() if k not in ("_id", "type")}
        return FieldDefinition(key=doc["_id"], type=FieldType(doc["type"]), **values)

    async def all(self) -> dict[str, FieldDefinition]:
        """Every definition (active or not) by key: a small ADMIN-sized collection."""
        cursor = self._defs.find({}).sort([("position", ASCENDING)])
        return {d["_id"]: self._load(d) async for d in cursor}

    async def get(self, key: str, session: Session | None = None) -> FieldDefinition | None:
        doc = await self._defs.find_one({"_id": key}, session=session)
        return None if doc is None else self._load(doc)

    async def count(self, session: Session) -> int:
        return await self._defs.count_documents({}, session=session)

    async def put(self, definition: FieldDefinition, session: Session) -> None:
        await self._defs.replace_one(
            {"_id": definition.key}, _doc(definition, "key"), upsert=True, session=session
        )


class TagStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tags = db[TAGS]

    @staticmethod
    def _load(doc: Document) -> Tag:
        return Tag(name=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})

    async def all(self) -> list[Tag]:
        cursor = self._tags.find({}).sort([("group", ASCENDING), ("_id", ASCENDING)])
        return [self._load(d) async for d in cursor]

    async def names(self) -> set[str]:
        return {d["_id"] async for d in self._tags.find({}, {"_id": 1})}

    async def get_many(self, names: list[str]) -> dict[str, Tag]:
        cursor = self._tags.find({"_id": {"$in": sorted(set(names))}})
        return {d["_id"]: self._load(d) async for d in cursor}

    async def get(self, name: str, session: Session | None = None) -> Tag | None:
        doc = await self._tags.find_one({"_id": name}, session=session)
        return None if doc is None else self._load(doc)

    async def put(self, tag: Tag, session: Session) -> None:
        doc = _doc(tag, "name")
        await self._tags.replace_one({"_id": tag.name}, doc, upsert=True, session=session)

    async def delete(self, name: str, session: Session) -> bool:
        result = await self._tags.delete_one({"_id": name}, session=session)
        return result.deleted_count == 1


class RuleStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._rules = db[RULES]
        self._counters = db[COUNTERS]

    @staticmethod
    def _load(doc: Document) -> Rule:
        values = {k: v for k, v in doc.items() if k not in ("_id", "strategy")}
        return Rule(id=doc["_id"], strategy=Strategy(doc["strategy"]), **values)

    async def all(self, session: Session | None = None) -> list[Rule]:
        cursor = self._rules.find({}, session=session).sort([("position", ASCENDING)])
        return [self._load(d) async for d in cursor]

    async def get(self, id: str, session: Session | None = None) -> Rule | None:
        doc = await self._rules.find_one({"_id": id}, session=session)
        return None if doc is None else self._load(doc)

    async def put(self, rule: Rule, session: Session) -> None:
        doc = _doc(rule, "id")
        await self._rules.replace_one({"_id": rule.id}, doc, upsert=True, session=session)

    async def delete(self, id: str, session: Session) -> bool:
        result = await self._rules.delete_one({"_id": id}, session=session)
        return result.deleted_count == 1

    async def next_turn(self, rule_id: str) -> int:
        """Advance the rule's counter atomically and return its new value (1, 2, …).

        One `find_one_and_update` with `$inc` on the counter's `_id`: concurrent creates on
        any number of replicas each get a distinct value, so round-robin never hands two
        concurrent customers the same turn.
        """
        return await self.next_turns(rule_id, 1)

    async def next_turns(self, rule_id: str, count: int) -> int:
        """Take `count` consecutive turns at once (a batch of creates); returns the last of
        them, so the batch's turns are `last - count + 1 … last`."""
        for attempt in range(3):
            try:
                doc = await self._counters.find_one_and_update(
                    {"_id": rule_id},
                    {"$inc": {"n": count}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                if doc is not None:
                    return int(doc["n"])
            except DuplicateKeyError:  # two first upserts raced: the loser retries as an update
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def peek_turn(self, rule_id: str) -> int:
        doc = await self._counters.find_one({"_id": rule_id})
        return int(doc["n"]) + 1 if doc else 1


class CustomerLookups:
    """Read-only customer queries the catalogs need, each served by a declared index."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._customers = db[CUSTOMERS]

    async def tag_usage(self, tag: str) -> int:
        """Live (not archived, not merged away) customers holding the tag."""
        return await self._customers.count_documents(
            {"tags": tag, "merged_into": None, "archived": {"$ne": True}}, hint="tags_created_id"
        )

    async def tag_holders(self, tag: str, limit: int) -> dict[str, tuple[int, list[str]]]:
        """Up to `limit` customers (archived included, merged-away not) holding the tag, as
        id → (version, tags): what a rename needs, in one query rather than a read per id."""
        cursor = (
            self._customers.find({"tags": tag, "merged_into": None}, {"version": 1, "tags": 1})
            .hint("tags_created_id")
            .limit(limit)
        )
        return {d["_id"]: (int(d["version"]), list(d["tags"])) async for d in cursor}

    async def owner_loads(self, owner_ids: list[str]) -> dict[str, int]:
        """Live customers per owner (0 for none): one index-served `$group` over them all."""
        pipeline: list[Document] = [
            {
                "$match": {
                    "owner_id": {"$in": owner_ids},
                    "merged_into": None,
                    "archived": {"$ne": True},
                }
            },
            {"$group": {"_id": "$owner_id", "n": {"$sum": 1}}},
        ]
        loads = dict.fromkeys(owner_ids, 0)
        cursor = await self._customers.aggregate(pipeline, hint="owner_created")
        loads.update({d["_id"]: int(d["n"]) async for d in cursor})
        return loads

    async def names_of(self, ids: list[str], session: Session | None = None) -> dict[str, str]:
        """id → name of the live customers among `ids` (one `_id $in` query)."""
        if not ids:
            return {}
        cursor = self._customers.find(
            {"_id": {"$in": ids}}, {"name": 1, "merged_into": 1, "erased": 1}, session=session
        )
        return {
            d["_id"]: d["name"]
            async for d in cursor
            if not d.get("merged_into") and not d.get("erased")
        }
