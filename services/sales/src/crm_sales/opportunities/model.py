"""Opportunities: creation, changes, stage moves, won / lost and reopening. Pure, no I/O.

Each step returns the new record and the history it writes (stage changes, tracked field
changes); the service stores both in one transaction and emits the events. Every step that
could put an opportunity into a stage goes through the stage gate (`gate.check_move`), and an
update must keep what the current stage required, so no writer — API, import, bulk change,
automation — can hold a deal in a stage it does not qualify for.

Probability is the stage's default unless a person overrides it; the override remembers who
set it and is dropped on a stage move (the new stage's odds replace an opinion about the old
one) unless the move itself gives a probability. A won deal is 100 and a lost one 0 whatever
was overridden.

Amounts are reported in the base currency at the rate of their date: the day a won or lost
deal closed (what it was worth when it was booked), today for an open one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from crm_kit.errors import Conflict, FieldError
from crm_sales.history.model import (
    FieldChange,
    MoveKind,
    StageChange,
    Tracked,
    field_changes,
)
from crm_sales.money.model import CURRENCIES, Conversion, RateTable
from crm_sales.opportunities.fields import apply_changes
from crm_sales.opportunities.gate import (
    AllowedMove,
    allowed_moves,
    check_move,
    missing_fields,
    still_required,
)
from crm_sales.opportunities.values import (
    DEFAULT_CLOSE_REASONS,
    ID_MAX_CHARS,
    REOPEN_REASON_MAX_CHARS,
    STATUS_OF_KIND,
    TEAM_MAX_CHARS,
    Changes,
    CloseReasons,
    Closing,
    NewOpportunity,
    Opportunity,
    OpportunityError,
    StageGateError,
    Status,
)
from crm_sales.pipelines.model import Pipeline, Stage, StageKind
from crm_sales.validation import SalesInputError, raise_if_any, text

__all__ = [
    "AllowedMove",
    "Moved",
    "Updated",
    "allowed_moves",
    "assign",
    "base_amount",
    "check_move",
    "conversion_date",
    "effective_probability",
    "ensure_not_merged",
    "missing_fields",
    "move",
    "open_opportunity",
    "reopen",
    "update",
]


@dataclass(frozen=True, slots=True)
class Moved:
    """An opportunity after entering a stage, and the history that records it."""

    opportunity: Opportunity
    stage_change: StageChange
    field_changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class Updated:
    opportunity: Opportunity
    field_changes: tuple[FieldChange, ...]


def effective_probability(opportunity: Opportunity, pipeline: Pipeline) -> int:
    """Won 100, lost 0; else the override, else the stage's default."""
    if opportunity.status is Status.WON:
        return 100
    if opportunity.status in (Status.LOST, Status.MERGED):
        return 0
    if opportunity.probability_override is not None:
        return opportunity.probability_override.value
    stage = pipeline.find(opportunity.stage_id)
    return stage.probability if stage is not None else 0


def _tracked(opportunity: Opportunity, pipeline: Pipeline) -> Tracked:
    return Tracked(
        opportunity.amount,
        effective_probability(opportunity, pipeline),
        opportunity.expected_close_date,
    )


def _same_pipeline(opportunity: Opportunity, pipeline: Pipeline) -> None:
    if opportunity.pipeline_id != pipeline.id:
        raise ValueError(f"{opportunity.id} is in pipeline {opportunity.pipeline_id}")


def open_opportunity(
    command: NewOpportunity,
    *,
    id: str,
    pipeline: Pipeline,
    actor: str,
    now: datetime,
    reasons: CloseReasons = DEFAULT_CLOSE_REASONS,
) -> Moved:
    """A new opportunity in its first stage (or the one asked for, e.g. a won deal imported
    from another system): the stage's gate applies as to any move."""
    if command.pipeline_id != pipeline.id:
        raise ValueError(f"command for pipeline {command.pipeline_id}, given {pipeline.id}")
    errors: list[FieldError] = []
    for field, value in (("customerId", command.customer_id), ("ownerId", command.owner_id)):
        text(errors, field, value, limit=ID_MAX_CHARS, required=True)
    team = text(errors, "team", command.team, limit=TEAM_MAX_CHARS, required=False)
    blank = Opportunity(
        id=id,
        customer_id=command.customer_id.strip(),
        name="",
        owner_id=command.owner_id.strip(),
        team=team,
        pipeline_id=pipeline.id,
        pipeline_version=pipeline.version,
        stage_id="",
        status=Status.OPEN,
        stage_entered_at=now,
        created_by=actor,
        created_at=now,
        updated_at=now,
        version=0,
    )
    changes = replace(command.changes, name=command.name)
    stage_id = command.stage_id or pipeline.first_stage.id
    errors += check_move(blank, stage_id, pipeline, changes, reasons=reasons, actor=actor, now=now)
    raise_if_any(errors, OpportunityError, "The opportunity cannot be created so")
    candidate, _ = apply_changes(blank, changes, actor=actor, now=now)
    return _enter(
        candidate,
        pipeline.stage(stage_id),
        pipeline=pipeline,
        changes=changes,
        kind=MoveKind.CREATED,
        actor=actor,
        now=now,
    )


def update(
    opportunity: Opportunity, changes: Changes, *, pipeline: Pipeline, actor: str, now: datetime
) -> Updated:
    """The opportunity with `changes` applied. A field the current stage requires cannot be
    emptied; the probability of a won or lost deal is fixed."""
    _same_pipeline(opportunity, pipeline)
    errors: list[FieldError] = []
    for field, value in (("reason", changes.reason), ("note", changes.note)):
        if value is not None:
            errors.append(
                FieldError(field, "NOT_APPLICABLE", f"{field} is given with a move to won or lost")
            )
    if changes.probability is not None and not opportunity.is_open:
        errors.append(
            FieldError("probability", "NOT_OPEN", "a won or lost deal's probability is fixed")
        )
    candidate, invalid = apply_changes(opportunity, changes, actor=actor, now=now)
    errors += invalid
    had = still_required(opportunity, pipeline)  # a gate added later does not block edits
    errors += [
        FieldError(field, "REQUIRED", f"{field} is required in the current stage")
        for field in still_required(candidate, pipeline)
        if field not in had
    ]
    raise_if_any(errors, OpportunityError, "The opportunity cannot be changed so")
    updated = replace(candidate, updated_at=now, version=opportunity.version + 1)
    before, after = _tracked(opportunity, pipeline), _tracked(updated, pipeline)
    return Updated(updated, field_changes(opportunity.id, before, after, at=now, actor_id=actor))


def move(
    opportunity: Opportunity,
    target_stage_id: str,
    *,
    pipeline: Pipeline,
    changes: Changes,
    actor: str,
    now: datetime,
    reasons: CloseReasons = DEFAULT_CLOSE_REASONS,
) -> Moved:
    """Into another stage of the pipeline (won and lost included) through its gate; refused
    with StageGateError naming every missing or wrong field."""
    _same_pipeline(opportunity, pipeline)
    errors = check_move(
        opportunity, target_stage_id, pipeline, changes, reasons=reasons, actor=actor, now=now
    )
    raise_if_any(errors, StageGateError, "The opportunity cannot enter this stage yet")
    candidate, _ = apply_changes(opportunity, changes, actor=actor, now=now)
    target = pipeline.stage(target_stage_id)
    kind = {StageKind.WON: MoveKind.WON, StageKind.LOST: MoveKind.LOST}.get(
        target.kind, MoveKind.MOVED
    )
    return _enter(
        candidate,
        target,
        pipeline=pipeline,
        changes=changes,
        kind=kind,
        actor=actor,
        now=now,
        before=opportunity,
    )


def reopen(
    opportunity: Opportunity,
    target_stage_id: str,
    *,
    pipeline: Pipeline,
    reason: str,
    changes: Changes,
    actor: str,
    now: datetime,
) -> Moved:
    """A won or lost deal back to an open stage, with a reason (free text) and through that
    stage's gate; its closing is kept only in the history."""
    _same_pipeline(opportunity, pipeline)
    errors: list[FieldError] = []
    why = text(errors, "reason", reason, limit=REOPEN_REASON_MAX_CHARS, required=True)
    errors += check_move(
        opportunity, target_stage_id, pipeline, changes, reopen=True, actor=actor, now=now
    )
    raise_if_any(errors, StageGateError, "The opportunity cannot be reopened so")
    candidate, _ = apply_changes(opportunity, changes, actor=actor, now=now)
    reopened = replace(candidate, closing=None, reopen_count=opportunity.reopen_count + 1)
    target = pipeline.stage(target_stage_id)
    moved = _enter(
        reopened,
        target,
        pipeline=pipeline,
        changes=changes,
        kind=MoveKind.REOPENED,
        actor=actor,
        now=now,
        before=opportunity,
    )
    return replace(moved, stage_change=replace(moved.stage_change, reason=why))


def _enter(
    candidate: Opportunity,
    target: Stage,
    *,
    pipeline: Pipeline,
    changes: Changes,
    kind: MoveKind,
    actor: str,
    now: datetime,
    before: Opportunity | None = None,
) -> Moved:
    """The candidate placed in `target`, with its closing, probability and history."""
    closing = None
    if not target.is_open:
        reason = (changes.reason or "").strip()
        closing = Closing(reason, (changes.note or "").strip() or None, now, actor)
    override = candidate.probability_override if changes.probability is not None else None
    entered = replace(
        candidate,
        stage_id=target.id,
        status=STATUS_OF_KIND[target.kind],
        pipeline_version=pipeline.version,
        stage_entered_at=now,
        probability_override=override if target.is_open else None,
        closing=closing,
        updated_at=now,
        version=candidate.version + 1,
    )
    change = StageChange(
        opportunity_id=entered.id,
        pipeline_id=pipeline.id,
        pipeline_version=pipeline.version,
        kind=kind,
        from_stage_id=before.stage_id if before is not None else None,
        to_stage_id=target.id,
        at=now,
        actor_id=actor,
        reason=closing.reason if closing is not None else None,
        note=closing.note if closing is not None else None,
    )
    tracked = (
        ()
        if before is None
        else field_changes(
            entered.id,
            _tracked(before, pipeline),
            _tracked(entered, pipeline),
            at=now,
            actor_id=actor,
        )
    )
    return Moved(entered, change, tracked)


def assign(
    opportunity: Opportunity, *, owner_id: str, team: str | None, now: datetime
) -> Opportunity:
    """A new owner (and team, when given); the assignment rules that pick them are the
    service's, as for customers."""
    errors: list[FieldError] = []
    owner = text(errors, "ownerId", owner_id, limit=ID_MAX_CHARS, required=True)
    kept_team = text(errors, "team", team, limit=TEAM_MAX_CHARS, required=False)
    raise_if_any(errors, OpportunityError)
    return replace(
        opportunity,
        owner_id=owner or opportunity.owner_id,
        team=kept_team if team is not None else opportunity.team,
        updated_at=now,
        version=opportunity.version + 1,
    )


def ensure_not_merged(opportunity: Opportunity) -> Opportunity:
    """A merged deal is closed for good: any change is CONFLICT naming its survivor."""
    merged = opportunity.merged_into
    if merged is not None:
        raise Conflict(
            f"Opportunity {opportunity.id} was merged into {merged.survivor_id}",
            conflicting_id=merged.survivor_id,
        )
    return opportunity


def conversion_date(opportunity: Opportunity, today: date) -> date:
    """The day whose rate reports the amount: the closing day of a won or lost deal, today
    for an open one."""
    return opportunity.closing.at.date() if opportunity.closing is not None else today


def base_amount(opportunity: Opportunity, rates: RateTable, today: date) -> Conversion | None:
    """The amount in the base currency and the rate used; None without an amount or without
    a rate in effect on its day (reports count those apart rather than fail)."""
    if opportunity.amount is None:
        return None
    return rates.try_convert(opportunity.amount, conversion_date(opportunity, today))


def _root(field: str) -> str:
    return field.split("[", maxsplit=1)[0].split(".", maxsplit=1)[0]


def answered_together[T](errors: list[FieldError], step: Callable[[], T]) -> T:
    """`step()`, with the field errors found before it (the line items') answered together
    with its own; its errors on a field already reported are dropped: one answer per field."""
    try:
        result = step()
    except SalesInputError as refused:
        seen = {_root(e.field) for e in errors}
        more = [e for e in refused.field_errors if _root(e.field) not in seen]
        raise type(refused)([*errors, *more], refused.message) from None
    if errors:
        raise OpportunityError(errors, "The line items are invalid")
    return result


def pricing_currency(requested: str | None, current: str) -> str:
    """The currency a write's line items are priced in: the requested one when it is known
    (an unknown one is refused by the amount's own check), else the deal's."""
    code = (requested or "").strip().upper()
    return code if code in CURRENCIES else current
