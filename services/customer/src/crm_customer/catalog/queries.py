"""The read side of the ADMIN catalogs: every custom field definition (a small ADMIN-sized
collection, read whole), and the tag catalog (all of it, or the entries among some names)."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.catalog.model import FieldDefinition, Tag
from crm_customer.catalog.store import DEFINITIONS, TAGS, definition_from, tag_from
from crm_kit.mongo import Document


class CatalogQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._defs = db[DEFINITIONS]
        self._tags = db[TAGS]

    async def definitions(self) -> dict[str, FieldDefinition]:
        """Every definition (active or not) by key, by position."""
        cursor = self._defs.find({}).sort([("position", ASCENDING)])
        return {d["_id"]: definition_from(d) async for d in cursor}

    async def tags(self) -> list[Tag]:
        """The tag catalog by group and name."""
        cursor = self._tags.find({}).sort([("group", ASCENDING), ("_id", ASCENDING)])
        return [tag_from(d) async for d in cursor]

    async def tags_named(self, names: list[str]) -> dict[str, Tag]:
        """The catalog entries among `names` (one `_id $in` query)."""
        cursor = self._tags.find({"_id": {"$in": sorted(set(names))}})
        return {d["_id"]: tag_from(d) async for d in cursor}
