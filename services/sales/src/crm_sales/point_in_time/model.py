"""The pipeline as it stood at a past instant, replayed from the recorded history: a deal's
state at an instant, which deals count, and the open pipeline per stage. Pure, no I/O (the
waterfall between two instants, built on these, is `waterfall`, split out for size).

Why replay rather than periodic snapshots: every stage change and every change of a tracked
value is recorded, append-only, in the transaction of the write that made it, so the state of
a deal at any instant T is exact — its current record with every change recorded after T
undone — where a snapshot would only be right at the moments it was taken.

- It did not exist at T when it was created after T.
- Its stage at T is the stage the first stage change after T left (none after T: its stage
  now); its status follows from that change's kind: a deal moves, closes or is merged only
  while open, and is reopened only from a won or lost stage.
- Amount, probability, expected close date, owner and team at T are the `old` values of the
  first change of each after T (none after T: the value now).
- A probability with no change after T is the one in effect for the deal's stage and status
  at T in the pipeline version in effect at T (`opportunities.model.effective_probability`).

The open pipeline at T counts open deals only, as the board's open columns do, valued at the
exchange rates in effect on T's (UTC) date and rounded once per column, so that it reads
exactly as the board read at T.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from crm_kit.errors import FieldError
from crm_sales.history.model import FieldChange, MoveKind, StageChange, TrackedField
from crm_sales.money.model import Money, RateTable, money
from crm_sales.opportunities.model import effective_probability
from crm_sales.opportunities.values import Opportunity, Status
from crm_sales.pipelines.model import Pipeline, Stage, StageKind
from crm_sales.shared.clock import day_of
from crm_sales.validation import SalesInputError, raise_if_any


class PointInTimeError(SalesInputError):
    """Instants the point-in-time reads refuse (in the future, or out of order)."""


def check_instant(at: datetime, now: datetime, *, field: str) -> None:
    """OUT_OF_RANGE naming `field` for an instant after `now`: the future has no history."""
    if at > now:
        raise PointInTimeError.single(field, "OUT_OF_RANGE", f"{field} is in the future")


def check_span(start: datetime, end: datetime, now: datetime) -> None:
    """`from` strictly before `to`, and `to` not in the future (both named `to`, the end that
    is wrong when `from` is taken as given)."""
    errors: list[FieldError] = []
    if end <= start:
        errors.append(FieldError("to", "OUT_OF_RANGE", "to must be after from"))
    elif end > now:
        errors.append(FieldError("to", "OUT_OF_RANGE", "to is in the future"))
    raise_if_any(errors, PointInTimeError, "The instants cannot be compared")


# --- the pipeline's definition at an instant --------------------------------------------------


@dataclass(frozen=True, slots=True)
class DefinedVersion:
    """A pipeline version and when it was defined (it is in effect until the next one)."""

    pipeline: Pipeline
    defined_at: datetime


@dataclass(frozen=True, slots=True)
class PipelineAt:
    """The version in effect at an instant, and the kind of every stage any version had (a
    reopened deal's stage before the reopening may have been removed since)."""

    pipeline: Pipeline
    kinds: Mapping[str, StageKind]


def pipeline_at(versions: Sequence[DefinedVersion], at: datetime) -> PipelineAt:
    """The latest version defined at or before `at`; before the first, the first (the
    pipeline held no deal yet). `versions` must not be empty."""
    ordered = sorted(versions, key=lambda v: v.pipeline.version)
    in_effect = [v for v in ordered if v.defined_at <= at]
    chosen = in_effect[-1] if in_effect else ordered[0]
    kinds = {stage.id: stage.kind for v in ordered for stage in v.pipeline.stages}
    kinds.update({stage.id: stage.kind for stage in chosen.pipeline.stages})
    return PipelineAt(chosen.pipeline, kinds)


# --- one deal at an instant -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DealState:
    """What the pipeline counts of a deal at one instant."""

    id: str
    stage_id: str
    status: Status
    owner_id: str
    team: str | None
    amount: Money | None
    probability: int
    expected_close_date: date | None


@dataclass(frozen=True, slots=True)
class Later:
    """A deal's recorded changes after some instant, in the order they were written (time,
    then the write's version, as the store keeps them)."""

    stage_changes: tuple[StageChange, ...] = ()
    field_changes: tuple[FieldChange, ...] = ()


def _after[C: StageChange | FieldChange](changes: Iterable[C], at: datetime) -> list[C]:
    # a stable sort: entries of one instant keep the store's order
    return sorted((c for c in changes if c.at > at), key=lambda c: c.at)


def _status_before(change: StageChange, kinds: Mapping[str, StageKind]) -> Status:
    """The status a stage change found the deal in."""
    if change.kind is not MoveKind.REOPENED:
        return Status.OPEN  # moved, closed or merged: only an open deal is
    left = kinds.get(change.from_stage_id or "")
    return Status.WON if left is StageKind.WON else Status.LOST


def _money(text: str) -> Money:
    """An amount as history writes it: `1200.00 CNY`."""
    amount, _, code = text.partition(" ")
    return Money(Decimal(amount), code)


def _old_values(changes: Iterable[FieldChange], at: datetime) -> dict[TrackedField, str | None]:
    """Each tracked field's value just before its first change after `at`."""
    found: dict[TrackedField, str | None] = {}
    for change in _after(changes, at):
        found.setdefault(change.field, change.old)
    return found


def state_at(
    current: Opportunity, later: Later, *, at: datetime, pipeline: PipelineAt
) -> DealState | None:
    """The deal as it was at `at` (None: not created yet); `later` holds at least every
    change recorded after `at` (earlier ones are ignored)."""
    if current.created_at > at:
        return None
    moves = _after(later.stage_changes, at)
    if moves and moves[0].kind is MoveKind.CREATED:
        return None
    stage_id, status = current.stage_id, current.status
    if moves:
        stage_id = moves[0].from_stage_id or stage_id
        status = _status_before(moves[0], pipeline.kinds)
    old = _old_values(later.field_changes, at)
    then = replace(current, stage_id=stage_id, status=status)

    def value[T](field: TrackedField, now: T, read: Callable[[str], T]) -> T | None:
        if field not in old:
            return now
        recorded = old[field]
        return read(recorded) if recorded is not None else None

    probability = value(
        TrackedField.PROBABILITY, effective_probability(then, pipeline.pipeline), int
    )
    return DealState(
        id=current.id,
        stage_id=stage_id,
        status=status,
        owner_id=value(TrackedField.OWNER, current.owner_id, str) or current.owner_id,
        team=value(TrackedField.TEAM, current.team, str),
        amount=value(TrackedField.AMOUNT, current.amount, _money),
        probability=probability if probability is not None else 0,
        expected_close_date=value(
            TrackedField.EXPECTED_CLOSE_DATE, current.expected_close_date, date.fromisoformat
        ),
    )


def state_now(current: Opportunity, pipeline: Pipeline) -> DealState:
    """The deal as it is (what the replay of no change gives)."""
    return DealState(
        id=current.id,
        stage_id=current.stage_id,
        status=current.status,
        owner_id=current.owner_id,
        team=current.team,
        amount=current.amount,
        probability=effective_probability(current, pipeline),
        expected_close_date=current.expected_close_date,
    )


# --- which deals count ------------------------------------------------------------------------

type Reach = Callable[[str, str | None], bool]
"""Whether the caller's list scope reaches a deal of this owner and team."""


def everyone(owner_id: str, team: str | None) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Selection:
    """Which deals count at an instant: open ones of the owner and team asked for (when
    given), within the caller's reach, and — when either end of the window is given —
    expected to close within it (both ends included; a deal without a date is outside)."""

    owner_id: str | None = None
    team: str | None = None
    close_from: date | None = None
    close_to: date | None = None
    reach: Reach = everyone

    def in_window(self, state: DealState) -> bool:
        if self.close_from is None and self.close_to is None:
            return True
        day = state.expected_close_date
        if day is None:
            return False
        return (self.close_from is None or day >= self.close_from) and (
            self.close_to is None or day <= self.close_to
        )

    def in_reach(self, state: DealState) -> bool:
        return (
            (not self.owner_id or state.owner_id == self.owner_id)
            and (not self.team or state.team == self.team)
            and self.reach(state.owner_id, state.team)
        )

    def holds(self, state: DealState | None) -> bool:
        return (
            state is not None
            and state.status is Status.OPEN
            and self.in_window(state)
            and self.in_reach(state)
        )


# --- the open pipeline at an instant ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Totals:
    """Count and sums in the base currency; `unpriced`: counted but not summed (no amount,
    or no rate in effect on the day)."""

    count: int
    amount: Money
    weighted: Money
    unpriced: int


@dataclass(frozen=True, slots=True)
class StageColumn:
    stage: Stage
    totals: Totals


@dataclass(frozen=True, slots=True)
class PipelineView:
    """The open pipeline at `at`: a column per open stage of the version then in effect."""

    at: datetime
    pipeline: Pipeline
    columns: tuple[StageColumn, ...]
    totals: Totals


def _unrounded(amount: Money | None, rates: RateTable, day: date) -> Decimal | None:
    if amount is None:
        return None
    if amount.currency == rates.base:
        return amount.amount
    rate = rates.rate_on(amount.currency, day)
    return amount.amount * rate.rate if rate is not None else None


def _totals(states: Iterable[DealState], rates: RateTable, day: date) -> Totals:
    """Rounded once over all the deals, not per deal, as the board rounds a column."""
    count = unpriced = 0
    raw = weighted = Decimal(0)
    for state in states:
        count += 1
        amount = _unrounded(state.amount, rates, day)
        if amount is None:
            unpriced += 1
            continue
        raw += amount
        weighted += amount * state.probability
    return Totals(count, money(raw, rates.base), money(weighted / 100, rates.base), unpriced)


def pipeline_view(
    states: Iterable[DealState | None],
    *,
    at: datetime,
    pipeline: Pipeline,
    rates: RateTable,
    selection: Selection,
) -> PipelineView:
    """The deals `selection` holds at `at`, per open stage of `pipeline` (the version then in
    effect; a deal in a stage it lacks is left out, as the board leaves it out)."""
    by_stage: dict[str, list[DealState]] = {stage.id: [] for stage in pipeline.open_stages}
    for state in states:
        if state is not None and selection.holds(state) and state.stage_id in by_stage:
            by_stage[state.stage_id].append(state)
    day = day_of(at)
    columns = tuple(
        StageColumn(stage, _totals(by_stage[stage.id], rates, day))
        for stage in pipeline.open_stages
    )
    counted = [state for found in by_stage.values() for state in found]
    return PipelineView(at, pipeline, columns, _totals(counted, rates, day))
