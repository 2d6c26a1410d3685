"""MongoDB adapters of the ADMIN catalogs: custom field definitions and the tag catalog. Each
record's `_id` is its natural key (field key, tag name), so uniqueness needs no secondary
index."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.catalog.model import FieldDefinition, FieldType, Tag
from crm_kit.mongo import Document, IndexSpec, Session

DEFINITIONS = "custom_field_definitions"
TAGS = "tag_catalog"

CATALOG_INDEXES: list[IndexSpec] = [
    IndexSpec(DEFINITIONS, ()),
    IndexSpec(TAGS, (IndexModel([("group", ASCENDING), ("_id", ASCENDING)], name="group"),)),
]


def record_document(record: Any, key: str) -> Document:
    """A catalog record as its document: the natural key `key` becomes `_id`."""
    doc: Document = asdict(record)
    doc["_id"] = doc.pop(key)
    return doc


def definition_from(doc: Document) -> FieldDefinition:
    values = {k: v for k, v in doc.items() if k not in ("_id", "type")}
    return FieldDefinition(key=doc["_id"], type=FieldType(doc["type"]), **values)


def tag_from(doc: Document) -> Tag:
    return Tag(name=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


class FieldDefinitionRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._defs = db[DEFINITIONS]

    async def get(self, key: str, session: Session | None = None) -> FieldDefinition | None:
        doc = await self._defs.find_one({"_id": key}, session=session)
        return None if doc is None else definition_from(doc)

    async def count(self, session: Session) -> int:
        return await self._defs.count_documents({}, session=session)

    async def put(self, definition: FieldDefinition, session: Session) -> None:
        await self._defs.replace_one(
            {"_id": definition.key}, record_document(definition, "key"), upsert=True,
            session=session,
        )  # fmt: skip


class TagRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tags = db[TAGS]

    async def get(self, name: str, session: Session | None = None) -> Tag | None:
        doc = await self._tags.find_one({"_id": name}, session=session)
        return None if doc is None else tag_from(doc)

    async def put(self, tag: Tag, session: Session) -> None:
        doc = record_document(tag, "name")
        await self._tags.replace_one({"_id": tag.name}, doc, upsert=True, session=session)

    async def delete(self, name: str, session: Session) -> bool:
        result = await self._tags.delete_one({"_id": name}, session=session)
        return result.deleted_count == 1
