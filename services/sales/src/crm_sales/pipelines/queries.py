"""Read side of pipelines: the current version of one or all, and any earlier version."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_sales.pipelines.model import Pipeline
from crm_sales.pipelines.store import (
    PIPELINE_VERSIONS,
    PIPELINES,
    pipeline_from_doc,
    version_id,
)


class PipelineQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._current = db[PIPELINES]
        self._versions = db[PIPELINE_VERSIONS]

    async def get(self, pipeline_id: str) -> Pipeline | None:
        doc = await self._current.find_one({"_id": pipeline_id})
        return pipeline_from_doc(doc) if doc is not None else None

    async def get_many(self, pipeline_ids: Sequence[str]) -> dict[str, Pipeline]:
        cursor = self._current.find({"_id": {"$in": list(dict.fromkeys(pipeline_ids))}})
        return {str(d["_id"]): pipeline_from_doc(d) async for d in cursor}

    async def all(self) -> list[Pipeline]:
        """Every pipeline, oldest first (a handful: ADMIN defines them)."""
        docs = self._current.find().sort([("createdAt", ASCENDING), ("_id", ASCENDING)])
        return [pipeline_from_doc(d) for d in await docs.to_list()]

    async def version(self, pipeline_id: str, version: int) -> Pipeline | None:
        doc = await self._versions.find_one({"_id": version_id(pipeline_id, version)})
        return pipeline_from_doc(doc) if doc is not None else None

    async def versions(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Pipeline]:
        """The given (pipeline id, version) pairs, in one query."""
        ids = list(dict.fromkeys(version_id(p, v) for p, v in keys))
        found = [pipeline_from_doc(d) async for d in self._versions.find({"_id": {"$in": ids}})]
        return {(p.id, p.version): p for p in found}
