"""Stage history of opportunities: every move between stages and every change of amount,
probability and expected close date, with who made it and when; time spent in each stage, the
current stage's age and whether the opportunity has stalled. Pure data and rules, no I/O.

Entries are append-only facts. A stage move names the pipeline version it was made under,
so a later change of the pipeline (renamed or removed stages, new gates) leaves old entries
reading as they did. Values are written as the API writes them (decimal string and currency,
whole percent, ISO date) so an entry needs no type of its own to be shown.

Stalling is counted in elapsed days (24-hour periods since the opportunity entered its
stage), not business days: a deal nobody touched over a holiday is still going cold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from crm_sales.money.model import Money
from crm_sales.pipelines.model import Stage


class TrackedField(StrEnum):
    AMOUNT = "amount"
    PROBABILITY = "probability"
    EXPECTED_CLOSE_DATE = "expectedCloseDate"
    OWNER = "ownerId"
    TEAM = "team"
    MERGED_FROM = "mergedFrom"  # the survivor of a merge: the merged deal's id
    MERGED_INTO = "mergedInto"  # the merged deal: the survivor's id


class MoveKind(StrEnum):
    CREATED = "CREATED"  # entered its first stage
    MOVED = "MOVED"  # between open stages
    WON = "WON"
    LOST = "LOST"
    REOPENED = "REOPENED"
    MERGED = "MERGED"  # closed by a merge into another deal (stays in its stage)


@dataclass(frozen=True, slots=True)
class StageChange:
    opportunity_id: str
    pipeline_id: str
    pipeline_version: int
    kind: MoveKind
    from_stage_id: str | None
    to_stage_id: str
    at: datetime
    actor_id: str
    reason: str | None = None  # the won, lost or reopen reason
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FieldChange:
    opportunity_id: str
    field: TrackedField
    old: str | None
    new: str | None
    at: datetime
    actor_id: str


@dataclass(frozen=True, slots=True)
class Tracked:
    """The tracked values of an opportunity at one moment (probability as in effect)."""

    amount: Money | None
    probability: int
    expected_close_date: date | None


def _amount(value: Money | None) -> str | None:
    return str(value) if value is not None else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def field_changes(
    opportunity_id: str, before: Tracked, after: Tracked, *, at: datetime, actor_id: str
) -> tuple[FieldChange, ...]:
    """One entry per tracked value that differs (an amount in another currency differs)."""
    pairs = (
        (TrackedField.AMOUNT, _amount(before.amount), _amount(after.amount)),
        (TrackedField.PROBABILITY, str(before.probability), str(after.probability)),
        (
            TrackedField.EXPECTED_CLOSE_DATE,
            _day(before.expected_close_date),
            _day(after.expected_close_date),
        ),
    )
    return tuple(
        FieldChange(opportunity_id, field, old, new, at, actor_id)
        for field, old, new in pairs
        if old != new
    )


def time_in_stages(entries: Sequence[StageChange], *, until: datetime) -> dict[str, timedelta]:
    """Stage id → total time spent in it (a stage visited twice adds both stays), from the
    entries in time order; the last stay runs to `until` (now, or when the deal closed)."""
    ordered = sorted(entries, key=lambda entry: entry.at)
    ends = [following.at for following in ordered[1:]] + [until]
    spent: dict[str, timedelta] = {}
    for entry, end in zip(ordered, ends, strict=False):  # no entries: nothing spent
        stay = max(end - entry.at, timedelta(0))
        spent[entry.to_stage_id] = spent.get(entry.to_stage_id, timedelta(0)) + stay
    return spent


def stage_age(entered_at: datetime, now: datetime) -> timedelta:
    """How long the opportunity has been in its current stage (never negative)."""
    return max(now - entered_at, timedelta(0))


def stalls_at(stage: Stage, entered_at: datetime) -> datetime | None:
    """When an opportunity that entered `stage` then and stays there becomes stalled: the
    moment the reminder job is due. None for a stage without threshold or a closing stage."""
    if not stage.is_open or stage.stall_days is None:
        return None
    return entered_at + timedelta(days=stage.stall_days)


def is_stalled(stage: Stage, entered_at: datetime, now: datetime) -> bool:
    due = stalls_at(stage, entered_at)
    return due is not None and now >= due
