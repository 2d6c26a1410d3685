"""GraphQL of pipelines: `pipelines`, `pipeline(id, version)`, `createPipeline` and
`revisePipeline` (ADMIN)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_kit.errors import NotFound
from crm_kit.graphql import ExpectedVersion, described_enum
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_sales import access
from crm_sales.graphql import loaders
from crm_sales.graphql.common import in_language
from crm_sales.graphql.context import Info
from crm_sales.pipelines import model
from crm_sales.pipelines.model import (
    MAX_REQUIRED_FIELDS,
    MAX_STAGES,
    MAX_STALL_DAYS,
    NAME_MAX_CHARS,
    OPEN_REQUIRABLE,
    STAGE_NAME_MAX_CHARS,
    ForecastCategory,
    StageKind,
)
from crm_sales.pipelines.service import MAX_PIPELINES

described_enum(
    StageKind,
    "What reaching a stage means for a deal.",
    {
        StageKind.OPEN: "Still being worked on.",
        StageKind.WON: "Won: the deal closes with probability 100 and a reason.",
        StageKind.LOST: "Lost: the deal closes with probability 0 and a reason.",
    },
    name="StageKind",
)
described_enum(
    ForecastCategory,
    "Where a stage's deals count in a forecast.",
    {
        ForecastCategory.PIPELINE: "Early: counted as pipeline only.",
        ForecastCategory.BEST_CASE: "Likely if things go well.",
        ForecastCategory.COMMIT: "Committed by the seller.",
        ForecastCategory.CLOSED: "Won (the won stages' category and theirs alone).",
        ForecastCategory.OMITTED: "Not forecast (the lost stages').",
    },
    name="ForecastCategory",
)
_REQUIRABLE = ", ".join(sorted(OPEN_REQUIRABLE))


@strawberry.type(name="PipelineStage", description="A stage of a pipeline.")
class PipelineStageType:
    id: strawberry.ID = strawberry.field(
        description="The stage's id within its pipeline (a-z, 0-9, _ or -)."
    )
    name_zh: str = strawberry.field(description="The name in Chinese.")
    name_en: str = strawberry.field(description="The name in English.")
    kind: StageKind = strawberry.field(description="Open, won or lost.")
    probability: int = strawberry.field(
        description="The default win probability of its deals, a whole percent (won 100, lost 0)."
    )
    forecast_category: ForecastCategory = strawberry.field(
        description="Where its deals count in a forecast."
    )
    required_fields: list[str] = strawberry.field(
        description="The fields a deal must have to enter it, as the API names them: "
        f"{_REQUIRABLE}, `customFields.<key>`, and for a won or lost stage `reason`, `note`. "
        "Entering an open or won stage also requires what every open stage before it "
        "requires (see `Opportunity.allowedMoves`)."
    )
    stall_days: int | None = strawberry.field(
        description="Days in this stage after which a deal counts as stalled; null: never."
    )

    @strawberry.field(description="The name in the caller's language (Accept-Language).")
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)

    @classmethod
    def of(cls, stage: model.Stage) -> PipelineStageType:
        return cls(
            id=strawberry.ID(stage.id),
            name_zh=stage.name_zh,
            name_en=stage.name_en,
            kind=stage.kind,
            probability=stage.probability,
            forecast_category=stage.forecast,
            required_fields=list(stage.required_fields),
            stall_days=stage.stall_days,
        )


@strawberry.type(name="Pipeline", description="A sales pipeline: its stages in board order.")
class PipelineType:
    id: strawberry.ID = strawberry.field(description="The pipeline's id.")
    name_zh: str = strawberry.field(description="The name in Chinese.")
    name_en: str = strawberry.field(description="The name in English.")
    version: int = strawberry.field(
        description="1 when defined, +1 per revision: the `expectedVersion` of the next; every "
        "version stays readable with `pipeline(id, version)`."
    )
    stages: list[PipelineStageType] = strawberry.field(
        description="The stages in board order: the open ones, then the won and lost ones."
    )

    @strawberry.field(description="The name in the caller's language (Accept-Language).")
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)

    @classmethod
    def of(cls, pipeline: model.Pipeline) -> PipelineType:
        return cls(
            id=strawberry.ID(pipeline.id),
            name_zh=pipeline.name_zh,
            name_en=pipeline.name_en,
            version=pipeline.version,
            stages=[PipelineStageType.of(s) for s in pipeline.stages],
        )


@strawberry.input(description="A stage as an ADMIN defines it.")
class StageInput:
    id: str = strawberry.field(
        description="a-z first, then a-z, 0-9, _ or -, 1–40 characters; unique in the pipeline. "
        "Keep a stage's id across revisions: history and deals refer to it."
    )
    name_zh: str = strawberry.field(description=f"Chinese name, 1–{STAGE_NAME_MAX_CHARS}.")
    name_en: str = strawberry.field(description=f"English name, 1–{STAGE_NAME_MAX_CHARS}.")
    kind: StageKind = strawberry.field(
        description="OPEN stages come first, then WON and LOST; each kind at least once."
    )
    probability: int = strawberry.field(
        description="Default win probability 0–100 (WON: 100, LOST: 0)."
    )
    forecast_category: ForecastCategory | None = strawberry.field(
        default=None,
        description="Omitted: WON → CLOSED, LOST → OMITTED, open by probability (90+ COMMIT, "
        "60+ BEST_CASE, else PIPELINE).",
    )
    required_fields: list[str] = strawberry.field(
        default_factory=list,
        description=f"Fields to enter it (at most {MAX_REQUIRED_FIELDS}): {_REQUIRABLE}, "
        "`customFields.<key>`; a won or lost stage may also require `note` (`reason` it "
        "always requires).",
    )
    stall_days: int | None = strawberry.field(
        default=None, description=f"Open stages only: 1–{MAX_STALL_DAYS} days; null: never."
    )

    def to_draft(self) -> model.StageDraft:
        return model.StageDraft(
            id=self.id,
            name_zh=self.name_zh,
            name_en=self.name_en,
            kind=StageKind(self.kind),
            probability=self.probability,
            forecast=ForecastCategory(self.forecast_category) if self.forecast_category else None,
            required_fields=tuple(self.required_fields),
            stall_days=self.stall_days,
        )


@strawberry.input(description="A pipeline's definition (a revision gives the whole of it).")
class PipelineInput:
    name_zh: str = strawberry.field(
        default="", description=f"Chinese name, at most {NAME_MAX_CHARS} characters."
    )
    name_en: str = strawberry.field(
        default="",
        description=f"English name, at most {NAME_MAX_CHARS} (one of the two is required; "
        "the other falls back on it).",
    )
    stages: list[StageInput] = strawberry.field(
        default_factory=list, description=f"The stages in board order, 3–{MAX_STAGES}."
    )

    def to_draft(self) -> model.PipelineDraft:
        return model.PipelineDraft(
            self.name_zh, self.name_en, tuple(s.to_draft() for s in self.stages)
        )


@strawberry.type(description="The pipeline a createPipeline or revisePipeline wrote.")
class PipelinePayload:
    pipeline: PipelineType = strawberry.field(description="The pipeline, at its new version.")


_DRAFT_ERRORS = (
    "BAD_USER_INPUT (`nameZh` REQUIRED, TOO_LONG; `stages` REQUIRED, TOO_MANY, "
    "MISSING_STAGE_KIND; `stages[i].id` INVALID, DUPLICATE_ID; `stages[i].kind` STAGE_ORDER; "
    "`stages[i].probability` OUT_OF_RANGE, PROBABILITY_OF_KIND; `stages[i].forecast` "
    "FORECAST_OF_KIND; `stages[i].stallDays` OUT_OF_RANGE, NOT_APPLICABLE; "
    "`stages[i].requiredFields[j]` UNKNOWN_FIELD, NOT_APPLICABLE)"
)
PipelineId = Annotated[strawberry.ID, strawberry.argument(description="The pipeline's id.")]


@strawberry.type
class PipelineQuery:
    @strawberry.field(
        description=f"Every pipeline (at most {MAX_PIPELINES}), oldest first, at its current "
        "version. Roles that may read opportunities (others: FORBIDDEN)."
    )
    async def pipelines(self, info: Info) -> list[PipelineType]:
        access.require_reader(info.context.principal)
        return [PipelineType.of(p) for p in await info.context.deps.pipeline_queries.all()]

    @strawberry.field(
        description="One pipeline by id, at its current version or at `version`; null with "
        "NOT_FOUND when there is no such pipeline (or version), FORBIDDEN for a role that may "
        "not read opportunities."
    )
    async def pipeline(
        self,
        info: Info,
        id: PipelineId,
        version: Annotated[
            int | None,
            strawberry.argument(description="An earlier version; the current one when omitted."),
        ] = None,
    ) -> PipelineType | None:
        access.require_reader(info.context.principal)
        queries = info.context.deps.pipeline_queries
        if version is None:
            found = await loaders.pipelines(info).load(str(id))
        else:
            found = await queries.version(str(id), version)
        if found is None:
            raise NotFound("Pipeline", str(id))
        return PipelineType.of(found)


@strawberry.type
class PipelineMutation:
    @strawberry.mutation(
        description=f"Define a pipeline (version 1). ADMIN only. Errors: {_DRAFT_ERRORS}; "
        f"`input` TOO_MANY (more than {MAX_PIPELINES} pipelines); `idempotencyKey` REQUIRED, "
        "TOO_LONG), CONFLICT (idempotencyKey reused for a different definition), FORBIDDEN."
    )
    async def create_pipeline(
        self,
        info: Info,
        input: Annotated[PipelineInput, strawberry.argument(description="The definition.")],
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="Retrying with the same key returns the first pipeline and "
                f"defines nothing (1–{KEY_MAX_CHARS} characters, per caller)."
            ),
        ] = None,
    ) -> PipelinePayload:
        created = await info.context.deps.pipelines.create(
            info.context.principal, input.to_draft(), idempotency_key
        )
        return PipelinePayload(pipeline=PipelineType.of(created))

    @strawberry.mutation(
        description="Give a pipeline a new version (the earlier ones are kept: history and "
        "closed deals read with the version they were written under). ADMIN only. Refused "
        "while an open deal sits in a stage it removes, or any deal in a stage whose kind it "
        f"changes. Errors: {_DRAFT_ERRORS}; `stages` / `stages[i].kind` STAGE_IN_USE), "
        "NOT_FOUND, CONFLICT (expectedVersion), FORBIDDEN."
    )
    async def revise_pipeline(
        self,
        info: Info,
        id: PipelineId,
        input: Annotated[PipelineInput, strawberry.argument(description="The whole definition.")],
        expected_version: ExpectedVersion = None,
    ) -> PipelinePayload:
        revised = await info.context.deps.pipelines.revise(
            info.context.principal, str(id), input.to_draft(), expected_version
        )
        return PipelinePayload(pipeline=PipelineType.of(revised))
