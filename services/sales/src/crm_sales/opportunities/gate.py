"""The stage gate: what an opportunity must have to enter a stage, judged the same way for
every writer (API, import, bulk change, automation). Pure.

`check_move` answers with every problem at once — the fields still missing for the target
stage (cumulative, see `Pipeline.entry_requirements`), a closing reason that is absent or not
in the ADMIN's list, an unknown stage, a move out of a closed deal — so that the API can
answer BAD_USER_INPUT with one field error per field and a kanban drop can prompt for exactly
those. `allowed_moves` lists, for the UI, where an opportunity may go and what each move
would still ask for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from crm_kit.errors import FieldError
from crm_sales.opportunities.fields import apply_changes
from crm_sales.opportunities.values import (
    DEFAULT_CLOSE_REASONS,
    NOTE_MAX_CHARS,
    REASON_MAX_CHARS,
    BuyingRole,
    Changes,
    CloseReasons,
    Opportunity,
)
from crm_sales.pipelines.model import CLOSING_ONLY, CUSTOM_FIELDS, Pipeline, Stage, StageKind
from crm_sales.validation import text

# A required field is present when this says so (custom fields: a non-blank value).
PRESENT: dict[str, Callable[[Opportunity], bool]] = {
    "amount": lambda o: o.amount is not None,
    "expectedCloseDate": lambda o: o.expected_close_date is not None,
    "nextStep": lambda o: bool(o.next_step),
    "source": lambda o: bool(o.source),
    "competitors": lambda o: bool(o.competitors),
    "contacts": lambda o: bool(o.contacts),
    "decisionMaker": lambda o: any(c.role is BuyingRole.DECISION_MAKER for c in o.contacts),
    "lineItems": lambda o: bool(o.line_items),
}
# Where the UI prompts for a requirement: a decision maker is a contact with that role.
FIELD_OF = {"decisionMaker": "contacts"}
_CLOSING_FIELDS = ("reason", "note")


@dataclass(frozen=True, slots=True)
class AllowedMove:
    """A stage the opportunity may move to; `missing` is what the move would still ask for
    (given with the move, it passes); `reopen` marks a move out of a closed deal."""

    stage_id: str
    missing: tuple[str, ...]
    reopen: bool = False


def is_present(opportunity: Opportunity, requirement: str, changes: Changes) -> bool:
    if requirement.startswith(CUSTOM_FIELDS):
        key = requirement.removeprefix(CUSTOM_FIELDS)
        return bool(opportunity.custom_fields.get(key, "").strip())
    if requirement == "reason":
        return bool((changes.reason or "").strip())
    if requirement == "note":
        return bool((changes.note or "").strip())
    return PRESENT[requirement](opportunity)


def missing_fields(
    opportunity: Opportunity, stage_id: str, pipeline: Pipeline, changes: Changes
) -> tuple[str, ...]:
    """The field paths the opportunity, with `changes` applied, lacks to enter the stage (a
    won or lost stage always asks for a reason); PipelineError for an unknown stage."""
    candidate, _ = apply_changes(opportunity, changes, actor="", now=opportunity.updated_at)
    return _missing(candidate, pipeline.stage(stage_id), pipeline, changes)


def _missing(
    candidate: Opportunity, target: Stage, pipeline: Pipeline, changes: Changes
) -> tuple[str, ...]:
    required = pipeline.entry_requirements(target.id)
    if not target.is_open and "reason" not in required:
        required = (*required, "reason")
    missing = (FIELD_OF.get(r, r) for r in required if not is_present(candidate, r, changes))
    return tuple(dict.fromkeys(missing))


def still_required(opportunity: Opportunity, pipeline: Pipeline) -> tuple[str, ...]:
    """What the current stage required that the opportunity now lacks: an update may not
    take away what let the deal into its stage (the closing reason and note excepted: they
    were given with the move and are kept on the closing)."""
    required = pipeline.entry_requirements(opportunity.stage_id)
    nothing = Changes()
    missing = (
        FIELD_OF.get(r, r)
        for r in required
        if r not in CLOSING_ONLY and not is_present(opportunity, r, nothing)
    )
    return tuple(dict.fromkeys(missing))


def check_move(
    opportunity: Opportunity,
    target_stage_id: str,
    pipeline: Pipeline,
    changes: Changes,
    *,
    reasons: CloseReasons = DEFAULT_CLOSE_REASONS,
    reopen: bool = False,
    actor: str = "",
    now: datetime | None = None,
) -> list[FieldError]:
    """Every reason the move is refused (empty: it may go ahead).

    `changes` are the fields given with the move; they are checked and count towards the
    gate. `reopen` is set by the reopen use case, the only way out of a won or lost stage."""
    at = now or opportunity.updated_at
    candidate, errors = apply_changes(opportunity, changes, actor=actor, now=at)
    target = pipeline.find(target_stage_id)
    if target is None:
        errors.append(
            FieldError(
                "stageId", "UNKNOWN_STAGE", f"pipeline {pipeline.id} has no stage {target_stage_id}"
            )
        )
        return errors
    errors += _route_errors(opportunity, target, reopen)
    errors += _closing_errors(target, changes, reasons)
    have = {error.field for error in errors}
    errors += [
        FieldError(field, "REQUIRED", f"{field} is required to enter {target.name_en}")
        for field in _missing(candidate, target, pipeline, changes)
        if field not in have
    ]
    return errors


def _route_errors(opportunity: Opportunity, target: Stage, reopen: bool) -> list[FieldError]:
    if target.id == opportunity.stage_id and not reopen:
        return [FieldError("stageId", "SAME_STAGE", f"the opportunity is already in {target.id}")]
    if reopen and opportunity.is_open:
        return [FieldError("id", "NOT_CLOSED", "only a won or lost opportunity is reopened")]
    if reopen and not target.is_open:
        return [
            FieldError("stageId", "NOT_OPEN_STAGE", "a reopened opportunity goes to an open stage")
        ]
    if not reopen and not opportunity.is_open:
        return [
            FieldError(
                "stageId", "CLOSED", f"the opportunity is {opportunity.status}; reopen it first"
            )
        ]
    return []


def _closing_errors(target: Stage, changes: Changes, reasons: CloseReasons) -> list[FieldError]:
    """A won or lost move names a reason from the ADMIN's list and may add a note; an open
    move carries neither (a reopen's reason is the reopen use case's own argument)."""
    errors: list[FieldError] = []
    if target.is_open:
        errors += [
            FieldError(field, "NOT_APPLICABLE", f"{field} is given when a deal is won or lost")
            for field, value in zip(_CLOSING_FIELDS, (changes.reason, changes.note), strict=True)
            if value is not None
        ]
        return errors
    reason = text(errors, "reason", changes.reason, limit=REASON_MAX_CHARS, required=False)
    allowed = reasons.for_kind(target.kind)
    if reason is not None and reason not in allowed:
        kind = "won" if target.kind is StageKind.WON else "lost"
        errors.append(
            FieldError(
                "reason", "UNKNOWN_REASON", f"a {kind} reason is one of {', '.join(allowed)}"
            )
        )
    text(errors, "note", changes.note, limit=NOTE_MAX_CHARS, required=False)
    return errors


def allowed_moves(
    opportunity: Opportunity, pipeline: Pipeline, *, reasons: CloseReasons = DEFAULT_CLOSE_REASONS
) -> tuple[AllowedMove, ...]:
    """Where the opportunity may go, in board order: from an open stage every other stage
    (each with what it still needs), from a won or lost one only back to an open stage by
    reopening (a reason needed). A closing stage whose reason list is empty is left out."""
    nothing = Changes()
    if not opportunity.is_open:
        return tuple(
            AllowedMove(s.id, ("reason", *_missing(opportunity, s, pipeline, nothing)), True)
            for s in pipeline.open_stages
        )
    return tuple(
        AllowedMove(s.id, _missing(opportunity, s, pipeline, nothing))
        for s in pipeline.stages
        if s.id != opportunity.stage_id and (s.is_open or reasons.for_kind(s.kind))
    )
