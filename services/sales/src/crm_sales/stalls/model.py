"""Stalls: which stays of opportunities in a stage have passed the stage's stall threshold,
how far the watch has looked, and the key that makes each stay's stall published once. Pure,
no I/O.

A *stay* is one visit of an opportunity to a stage, from the moment it entered
(`stageEnteredAt`) until it leaves; every move (a reopen too) starts a new stay, so a deal that
stalls, moves on and stalls again in the next stage is reported twice, once per stay, and a
deal left in one stage is reported once however long it stays there.

The watch looks at the open stages that have a threshold (`stallDays`) in the current version
of their pipeline (a revised threshold applies from the next pass on, as the `stalled` flag
of the API reads it). A stay that entered a stage with a threshold of d days at or before
`now - d` has stalled. Each stage keeps how far the watch has looked (`covered`: every stay that
entered at or before it has been considered), so a pass reads only the stays that stalled
since the last one, plus an overlap of a day (a late-committed write, clocks apart); the key of
each stay published keeps the overlap, a retried pass and a replica that took over from
publishing a stay twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_sales.history.model import is_stalled, stalls_at
from crm_sales.opportunities.values import Opportunity
from crm_sales.pipelines.model import Pipeline, Stage
from crm_sales.shared.clock import iso

OVERLAP = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Watched:
    """An open stage with a stall threshold, in the current version of its pipeline."""

    pipeline: Pipeline
    stage: Stage

    @property
    def key(self) -> str:
        return f"{self.pipeline.id}:{self.stage.id}"

    def stalled_through(self, now: datetime) -> datetime:
        """The latest moment a stay may have entered the stage and be stalled by `now`."""
        return now - timedelta(days=self.stage.stall_days or 0)


def watched(pipelines: Sequence[Pipeline]) -> Iterator[Watched]:
    """Every open stage with a threshold, pipeline by pipeline in board order."""
    for pipeline in pipelines:
        for stage in pipeline.open_stages:
            if stage.stall_days is not None:
                yield Watched(pipeline, stage)


@dataclass(frozen=True, slots=True)
class Window:
    """The stays a pass reads in one stage: entered after `after` (None: any time) and at or
    before `through`."""

    after: datetime | None
    through: datetime


def window(watch: Watched, covered: datetime | None, now: datetime) -> Window | None:
    """What to read in `watch`'s stage now, the watch having looked through `covered` (None:
    never); None when no stay can have stalled since (a threshold raised since included)."""
    through = watch.stalled_through(now)
    if covered is None:
        return Window(None, through)
    if through <= covered:
        return None
    return Window(covered - OVERLAP, through)


@dataclass(frozen=True, slots=True)
class Stay:
    """One stay of an opportunity in a stage, named by when it began."""

    opportunity_id: str
    stage_id: str
    entered_at: datetime

    @property
    def key(self) -> str:
        """The same for every pass that meets this stay; another for any other stay."""
        return f"{self.opportunity_id}:{self.stage_id}:{iso(self.entered_at)}"


def still_stalled(opportunity: Opportunity, stay: Stay, stage: Stage, now: datetime) -> bool:
    """The opportunity is still open and in this very stay, and it has stalled by `now`."""
    return (
        opportunity.is_open
        and opportunity.stage_id == stay.stage_id
        and opportunity.stage_entered_at == stay.entered_at
        and is_stalled(stage, stay.entered_at, now)
    )


@dataclass(frozen=True, slots=True)
class Stall:
    """A stay that passed its stage's threshold, as the watch found it."""

    stay: Stay
    pipeline_id: str
    stage: Stage
    stalled_at: datetime  # when it passed the threshold: entered + stallDays
    detected_at: datetime  # the pass that found it

    @property
    def stall_days(self) -> int:
        return self.stage.stall_days or 0


def stall_of(stay: Stay, watch: Watched, now: datetime) -> Stall:
    due = stalls_at(watch.stage, stay.entered_at)
    return Stall(stay, watch.pipeline.id, watch.stage, due or stay.entered_at, now)
