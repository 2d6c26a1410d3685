"""Pipelines: ordered stages and the gates into them. Pure data and rules, no I/O.

A pipeline is defined by an ADMIN: its stages in board order, each of kind OPEN, WON or LOST,
with a default win probability, a forecast category, the fields an opportunity must have to
enter it, and how many days in it make an opportunity stalled. Open stages come first, then
the closing ones, so the board reads left to right from first contact to the outcome.

A gate is cumulative: entering an open stage (or a won one) requires what every open stage up
to it requires, so a move that jumps over "proposal" still needs what "proposal" asks for —
no writer can skip a gate by skipping a stage. Losing is possible from anywhere, so a lost
stage asks only for its own fields.

Changing a pipeline never rewrites history: every change is a new version with the same id
(`revise`), the store keeps each version, and stage history records the version it was
written under, so an old move still reads with the names and rules of its day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from crm_kit.errors import FieldError
from crm_sales.validation import SalesInputError, raise_if_any, text

MAX_STAGES = 30
NAME_MAX_CHARS = 100
STAGE_NAME_MAX_CHARS = 60
MAX_REQUIRED_FIELDS = 20
MAX_STALL_DAYS = 365
STAGE_ID = re.compile(r"[a-z][a-z0-9_-]{0,39}")
CUSTOM_FIELDS = "customFields."
CUSTOM_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")

# The fields a stage may require, by their API names. `decisionMaker` is a contact whose role
# is DECISION_MAKER; `reason` and `note` are what a move into a closing stage carries;
# `customFields.<key>` is one custom field.
OPEN_REQUIRABLE = frozenset(
    {
        "amount",
        "expectedCloseDate",
        "nextStep",
        "source",
        "competitors",
        "contacts",
        "decisionMaker",
        "lineItems",
    }
)
CLOSING_ONLY = frozenset({"reason", "note"})


class StageKind(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


class ForecastCategory(StrEnum):
    PIPELINE = "PIPELINE"
    BEST_CASE = "BEST_CASE"
    COMMIT = "COMMIT"
    CLOSED = "CLOSED"
    OMITTED = "OMITTED"


class PipelineError(SalesInputError):
    """A pipeline definition, or a stage reference, the rules refuse."""


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    name_zh: str
    name_en: str
    kind: StageKind
    probability: int
    forecast: ForecastCategory
    required_fields: tuple[str, ...] = ()
    stall_days: int | None = None

    @property
    def is_open(self) -> bool:
        return self.kind is StageKind.OPEN


@dataclass(frozen=True, slots=True)
class Pipeline:
    id: str
    name_zh: str
    name_en: str
    stages: tuple[Stage, ...]
    version: int

    def find(self, stage_id: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)

    def stage(self, stage_id: str, *, field: str = "stageId") -> Stage:
        """The stage, or UNKNOWN_STAGE naming `field`."""
        found = self.find(stage_id)
        if found is None:
            raise PipelineError.single(
                field, "UNKNOWN_STAGE", f"pipeline {self.id} has no stage {stage_id}"
            )
        return found

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(stage for stage in self.stages if stage.is_open)

    @property
    def first_stage(self) -> Stage:
        """Where a new opportunity starts unless told otherwise."""
        return self.open_stages[0]

    def entry_requirements(self, stage_id: str) -> tuple[str, ...]:
        """What an opportunity needs to enter the stage: cumulative through the open stages
        up to it (and all of them for a won stage); a lost stage's own fields only."""
        target = self.stage(stage_id)
        if target.kind is StageKind.LOST:
            passed: tuple[Stage, ...] = (target,)
        elif target.kind is StageKind.WON:
            passed = (*self.open_stages, target)
        else:
            passed = self.stages[: self.stages.index(target) + 1]
        fields: dict[str, None] = {}
        for stage in passed:
            fields.update(dict.fromkeys(stage.required_fields))
        return tuple(fields)


@dataclass(frozen=True, slots=True)
class StageDraft:
    """A stage as an ADMIN defines it; `forecast` None takes the kind's default (see
    `default_forecast`)."""

    id: str
    name_zh: str
    name_en: str
    kind: StageKind
    probability: int
    forecast: ForecastCategory | None = None
    required_fields: tuple[str, ...] = ()
    stall_days: int | None = None


@dataclass(frozen=True, slots=True)
class PipelineDraft:
    name_zh: str
    name_en: str
    stages: tuple[StageDraft, ...]


def default_forecast(kind: StageKind, probability: int) -> ForecastCategory:
    """Won deals are CLOSED, lost ones OMITTED; open ones by their odds (90+ COMMIT, 60+
    BEST_CASE, else PIPELINE)."""
    if kind is StageKind.WON:
        return ForecastCategory.CLOSED
    if kind is StageKind.LOST:
        return ForecastCategory.OMITTED
    if probability >= 90:
        return ForecastCategory.COMMIT
    return ForecastCategory.BEST_CASE if probability >= 60 else ForecastCategory.PIPELINE


def define(draft: PipelineDraft, *, id: str, version: int = 1) -> Pipeline:
    """A checked pipeline, or every problem of the draft at once (PipelineError)."""
    errors: list[FieldError] = []
    name_zh = text(errors, "nameZh", draft.name_zh, limit=NAME_MAX_CHARS, required=False)
    name_en = text(errors, "nameEn", draft.name_en, limit=NAME_MAX_CHARS, required=False)
    if not (draft.name_zh.strip() or draft.name_en.strip()):
        errors.append(
            FieldError("nameZh", "REQUIRED", "a pipeline needs a Chinese or English name")
        )
    stages = _stages(errors, draft.stages)
    raise_if_any(errors, PipelineError, "The pipeline definition is invalid")
    return Pipeline(id, name_zh or name_en or "", name_en or name_zh or "", stages, version)


def revise(current: Pipeline, draft: PipelineDraft) -> Pipeline:
    """The next version of a pipeline; the current one is kept unchanged for history."""
    return define(draft, id=current.id, version=current.version + 1)


def removed_stages(old: Pipeline, new: Pipeline) -> tuple[str, ...]:
    """Stages of `old` that `new` drops: the service refuses the revision while an open
    opportunity is in one of them (moving them is the caller's decision, not ours)."""
    kept = {stage.id for stage in new.stages}
    return tuple(stage.id for stage in old.stages if stage.id not in kept)


def _stages(errors: list[FieldError], drafts: tuple[StageDraft, ...]) -> tuple[Stage, ...]:
    if not drafts:
        errors.append(FieldError("stages", "REQUIRED", "a pipeline needs stages"))
        return ()
    if len(drafts) > MAX_STAGES:
        errors.append(FieldError("stages", "TOO_MANY", f"at most {MAX_STAGES} stages"))
        return ()
    stages = tuple(_stage(errors, f"stages[{i}]", draft) for i, draft in enumerate(drafts))
    _check_ids_unique(errors, stages)
    _check_kinds(errors, stages)
    return stages


def _stage(errors: list[FieldError], path: str, draft: StageDraft) -> Stage:
    if not STAGE_ID.fullmatch(draft.id):
        errors.append(
            FieldError(f"{path}.id", "INVALID", "a stage id is a-z, 0-9, _ or -, 1 to 40 long")
        )
    zh = text(errors, f"{path}.nameZh", draft.name_zh, limit=STAGE_NAME_MAX_CHARS, required=True)
    en = text(errors, f"{path}.nameEn", draft.name_en, limit=STAGE_NAME_MAX_CHARS, required=True)
    _check_probability(errors, path, draft)
    forecast = draft.forecast or default_forecast(draft.kind, draft.probability)
    _check_forecast(errors, path, draft.kind, forecast)
    _check_stall(errors, path, draft)
    required = _required_fields(errors, path, draft)
    return Stage(
        draft.id,
        zh or "",
        en or "",
        draft.kind,
        draft.probability,
        forecast,
        required,
        draft.stall_days,
    )


def _check_probability(errors: list[FieldError], path: str, draft: StageDraft) -> None:
    field = f"{path}.probability"
    if isinstance(draft.probability, bool) or not 0 <= draft.probability <= 100:
        errors.append(FieldError(field, "OUT_OF_RANGE", "probability is 0 to 100"))
    elif draft.kind is StageKind.WON and draft.probability != 100:
        errors.append(FieldError(field, "PROBABILITY_OF_KIND", "a won stage has probability 100"))
    elif draft.kind is StageKind.LOST and draft.probability != 0:
        errors.append(FieldError(field, "PROBABILITY_OF_KIND", "a lost stage has probability 0"))


def _check_forecast(
    errors: list[FieldError], path: str, kind: StageKind, forecast: ForecastCategory
) -> None:
    """CLOSED is the won stages' category and nobody else's; lost stages are OMITTED. Anything
    else would count a lost deal, or an unsigned one, as booked revenue."""
    closing = {StageKind.WON: ForecastCategory.CLOSED, StageKind.LOST: ForecastCategory.OMITTED}
    expected = closing.get(kind)
    wrong = forecast is not expected if expected else forecast is ForecastCategory.CLOSED
    if wrong:
        errors.append(
            FieldError(
                f"{path}.forecast",
                "FORECAST_OF_KIND",
                "won stages forecast CLOSED, lost stages OMITTED, open stages anything else",
            )
        )


def _check_stall(errors: list[FieldError], path: str, draft: StageDraft) -> None:
    days = draft.stall_days
    if days is None:
        return
    if draft.kind is not StageKind.OPEN:
        errors.append(
            FieldError(f"{path}.stallDays", "NOT_APPLICABLE", "only open stages can stall")
        )
    elif isinstance(days, bool) or not 1 <= days <= MAX_STALL_DAYS:
        errors.append(
            FieldError(f"{path}.stallDays", "OUT_OF_RANGE", f"stallDays is 1 to {MAX_STALL_DAYS}")
        )


def _required_fields(errors: list[FieldError], path: str, draft: StageDraft) -> tuple[str, ...]:
    if len(draft.required_fields) > MAX_REQUIRED_FIELDS:
        errors.append(
            FieldError(f"{path}.requiredFields", "TOO_MANY", f"at most {MAX_REQUIRED_FIELDS}")
        )
        return ()
    kept: dict[str, None] = {}
    for index, name in enumerate(draft.required_fields):
        field = f"{path}.requiredFields[{index}]"
        if name in CLOSING_ONLY and draft.kind is StageKind.OPEN:
            errors.append(
                FieldError(field, "NOT_APPLICABLE", f"{name} is given when a deal is won or lost")
            )
        elif not is_requirable(name):
            errors.append(
                FieldError(field, "UNKNOWN_FIELD", f"{name} is not a field a stage can require")
            )
        else:
            kept.setdefault(name, None)
    return tuple(kept)


def is_requirable(name: str) -> bool:
    if name.startswith(CUSTOM_FIELDS):
        return CUSTOM_KEY.fullmatch(name.removeprefix(CUSTOM_FIELDS)) is not None
    return name in OPEN_REQUIRABLE or name in CLOSING_ONLY


def _check_ids_unique(errors: list[FieldError], stages: tuple[Stage, ...]) -> None:
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        if stage.id in seen:
            errors.append(
                FieldError(f"stages[{index}].id", "DUPLICATE_ID", f"stage id {stage.id} repeats")
            )
        seen.add(stage.id)


def _check_kinds(errors: list[FieldError], stages: tuple[Stage, ...]) -> None:
    """At least one stage of each kind, and every open stage before the first closing one."""
    for kind in StageKind:
        if not any(stage.kind is kind for stage in stages):
            errors.append(
                FieldError("stages", "MISSING_STAGE_KIND", f"a pipeline needs a {kind} stage")
            )
    closing_seen = False
    for index, stage in enumerate(stages):
        if stage.is_open and closing_seen:
            errors.append(
                FieldError(
                    f"stages[{index}].kind",
                    "STAGE_ORDER",
                    "open stages come before the won and lost stages",
                )
            )
        closing_seen = closing_seen or not stage.is_open
