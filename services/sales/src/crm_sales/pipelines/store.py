"""MongoDB adapter of pipelines: the current version of each (`pipelines`) and every version
ever defined (`pipeline_versions`, `_id` = `<id>:<version>`), written together, so that history
written under an old version still reads with that version's stages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.pipelines.model import ForecastCategory, Pipeline, Stage, StageKind

PIPELINES = "pipelines"
PIPELINE_VERSIONS = "pipeline_versions"

INDEXES: list[IndexSpec] = [
    IndexSpec(PIPELINES, (IndexModel([("createdAt", ASCENDING)], name="created"),)),
]


def stage_to_doc(stage: Stage) -> Document:
    return {
        "id": stage.id,
        "nameZh": stage.name_zh,
        "nameEn": stage.name_en,
        "kind": str(stage.kind),
        "probability": stage.probability,
        "forecast": str(stage.forecast),
        "requiredFields": list(stage.required_fields),
        "stallDays": stage.stall_days,
    }


def stage_from_doc(doc: Document) -> Stage:
    return Stage(
        id=doc["id"],
        name_zh=doc["nameZh"],
        name_en=doc["nameEn"],
        kind=StageKind(doc["kind"]),
        probability=int(doc["probability"]),
        forecast=ForecastCategory(doc["forecast"]),
        required_fields=tuple(doc.get("requiredFields") or ()),
        stall_days=doc.get("stallDays"),
    )


def pipeline_to_doc(pipeline: Pipeline) -> Document:
    return {
        "_id": pipeline.id,
        "nameZh": pipeline.name_zh,
        "nameEn": pipeline.name_en,
        "version": pipeline.version,
        "stages": [stage_to_doc(stage) for stage in pipeline.stages],
    }


def pipeline_from_doc(doc: Document) -> Pipeline:
    return Pipeline(
        id=str(doc.get("pipelineId") or doc["_id"]),
        name_zh=doc["nameZh"],
        name_en=doc["nameEn"],
        stages=tuple(stage_from_doc(s) for s in doc["stages"]),
        version=int(doc["version"]),
    )


def version_id(pipeline_id: str, version: int) -> str:
    return f"{pipeline_id}:{version}"


class PipelineRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._current = db[PIPELINES]
        self._versions = db[PIPELINE_VERSIONS]

    async def get(self, pipeline_id: str, session: Session | None = None) -> Pipeline | None:
        doc = await self._current.find_one({"_id": pipeline_id}, session=session)
        return pipeline_from_doc(doc) if doc is not None else None

    async def count(self, session: Session) -> int:
        return await self._current.count_documents({}, session=session)

    async def add(self, pipeline: Pipeline, at: datetime, actor: str, session: Session) -> None:
        doc = {**pipeline_to_doc(pipeline), "createdAt": at, "updatedAt": at, "updatedBy": actor}
        await self._current.insert_one(doc, session=session)
        await self._add_version(pipeline, at, actor, session)

    async def replace(
        self, pipeline: Pipeline, previous_version: int, at: datetime, actor: str, session: Session
    ) -> None:
        """The new current version (CONFLICT when the stored one is no longer
        `previous_version`); the version itself is kept beside the others."""
        fields: dict[str, Any] = {**pipeline_to_doc(pipeline), "updatedAt": at, "updatedBy": actor}
        del fields["_id"]
        result = await self._current.update_one(
            {"_id": pipeline.id, "version": previous_version}, {"$set": fields}, session=session
        )
        if result.matched_count != 1:
            raise Conflict(
                f"Pipeline {pipeline.id} was changed meanwhile; reload and retry",
                conflicting_id=pipeline.id,
            )
        await self._add_version(pipeline, at, actor, session)

    async def _add_version(
        self, pipeline: Pipeline, at: datetime, actor: str, session: Session
    ) -> None:
        doc = pipeline_to_doc(pipeline)
        doc.update(
            _id=version_id(pipeline.id, pipeline.version),
            pipelineId=pipeline.id,
            definedAt=at,
            definedBy=actor,
        )
        await self._versions.insert_one(doc, session=session)
