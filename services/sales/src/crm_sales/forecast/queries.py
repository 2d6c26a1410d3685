"""Read side of forecasts: a person's or a team's figures for a period with its submissions
and target, the accuracy of the submitted numbers once the period is over, and the
calibration of probabilities over the deals closed in a range.

One aggregate per figure set, each bounded by an index: the won deals of the period by
(status, closing time, owner, team) — the aggregate attainment uses (`targets.queries`); the
open deals expected to close in the period by (status, expected close date, owner, team)
(`store.OPEN_DEALS_INDEX`), grouped by pipeline, stage, currency and override as the board
groups them (`kanban.queries.deal_group`: today's rates, the current pipeline's stage
probabilities and forecast categories); calibration by the closed-deals index again, each deal
joined to the probability change its closing wrote (`opportunity_field_history`, by its
`opportunity_at` index).

Who may read what (FORBIDDEN otherwise), as for targets: a person's forecast — that person,
the MANAGER of their team, ADMIN and ANALYST; a team's — its members, ADMIN and ANALYST;
calibration — the deals the caller may list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.auth import Principal
from crm_kit.errors import Forbidden
from crm_kit.mongo import Document
from crm_kit.policy import Action, restrict
from crm_sales import access
from crm_sales.forecast.model import (
    Accuracy,
    Band,
    ClosedAt,
    Figures,
    OpenGroup,
    Submission,
    accuracy,
    calibration,
    calibration_range,
    figures,
    require_closed,
)
from crm_sales.forecast.store import SubmissionRepository
from crm_sales.history.store import FIELD_HISTORY
from crm_sales.kanban.queries import deal_group
from crm_sales.money.model import Money, RateTable, from_minor
from crm_sales.opportunities.queries import Group, OpportunityFilter, OpportunityQueries
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.opportunities.values import Status
from crm_sales.pipelines.model import ForecastCategory, Pipeline
from crm_sales.pipelines.queries import PipelineQueries
from crm_sales.shared.clock import day_of
from crm_sales.targets.model import (
    PeriodInput,
    Subject,
    SubjectInput,
    SubjectKind,
    Target,
    may_read_person,
    may_read_team,
    subject_and_period,
    unknown_subject,
)
from crm_sales.targets.periods import Period, SalesCalendar
from crm_sales.targets.queries import CLOSED, closed_deals_pipeline
from crm_sales.targets.store import CLOSED_DEALS_INDEX, StaffRoster, TargetRepository


@dataclass(frozen=True, slots=True)
class Forecast:
    subject: Subject
    period: Period
    figures: Figures
    submissions: list[Submission]  # latest first
    target: Target | None  # the subject's own target of the period


@dataclass(frozen=True, slots=True)
class AccuracyReport:
    subject: Subject
    period: Period
    lines: list[Accuracy]  # the subject first, then a team's members


@dataclass(frozen=True, slots=True)
class Calibration:
    pipeline_id: str | None
    first_day: date
    last_day: date
    bands: list[Band]


def forbidden(what: str) -> Forbidden:
    return Forbidden(f"Not allowed: read {what}", action=str(Action.READ), resource="SalesForecast")


def open_group(group: Group, pipeline: Pipeline | None, rates: RateTable, today: date) -> OpenGroup:
    """A group of open deals as the board counts it, under its stage's forecast category
    (PIPELINE for a stage the current pipeline no longer has)."""
    counted = deal_group(group, pipeline, rates, today)
    stage = pipeline.find(group.stage_id) if pipeline is not None else None
    category = stage.forecast if stage is not None else ForecastCategory.PIPELINE
    return OpenGroup(category, counted.count, counted.unpriced, counted.amount, counted.weighted)


def calibration_pipeline(match: Document) -> list[Document]:
    """The deals `match` selects, each with the probability in effect just before it closed:
    the `old` value of the probability change its closing wrote (none written: it did not
    change, so the closed value, 100 won / 0 lost), counted per probability and outcome."""
    closed_value = {"$cond": [{"$eq": ["$status", str(Status.WON)]}, 100, 0]}
    at_close = {
        "$match": {
            "field": "probability",
            "$expr": {"$and": [{"$eq": ["$opportunityId", "$$id"]}, {"$eq": ["$at", "$$at"]}]},
        }
    }
    return [
        {"$match": match},
        {
            "$lookup": {
                "from": FIELD_HISTORY,
                "let": {"id": "$_id", "at": "$closing.at"},
                "pipeline": [at_close, {"$limit": 1}, {"$project": {"old": 1}}],
                "as": "atClose",
            }
        },
        {
            "$project": {
                "status": 1,
                "p": {"$ifNull": [{"$toInt": {"$first": "$atClose.old"}}, closed_value]},
            }
        },
        {
            "$group": {
                "_id": "$p",
                "n": {"$sum": 1},
                "won": {"$sum": {"$cond": [{"$eq": ["$status", str(Status.WON)]}, 1, 0]}},
            }
        },
    ]


class ForecastQueries:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        deals: OpportunityQueries,
        pipelines: PipelineQueries,
        stores: tuple[SubmissionRepository, TargetRepository, StaffRoster],
        *,
        calendar: SalesCalendar,
        base_currency: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._opportunities = db[OPPORTUNITIES]
        self._deals = deals
        self._pipelines = pipelines
        self._submissions, self._targets, self._roster = stores
        self._calendar = calendar
        self._base = base_currency
        self._clock = clock

    async def forecast(
        self,
        principal: Principal,
        subject_input: SubjectInput,
        period_input: PeriodInput,
        rates: RateTable,
    ) -> Forecast:
        """The subject's figures for the period as of now, its submissions and target."""
        subject, period = subject_and_period(subject_input, period_input, self._calendar)
        await self._readable(principal, subject)
        won = await self._won(period, subject)
        groups = await self._open_groups(period, subject, rates)
        submissions = await self._submissions.latest([subject], period)
        target = await self._targets.find(subject, period)
        closed, count = won.get(subject, (from_minor(0, self._base), 0))
        return Forecast(subject, period, figures(closed, count, groups), submissions, target)

    async def accuracy(
        self, principal: Principal, subject_input: SubjectInput, period_input: PeriodInput
    ) -> AccuracyReport:
        """Once the period is over: the subject's (and a team's members') forecast standing
        at the period's start against what was won (BAD_USER_INPUT `period`
        PERIOD_NOT_CLOSED before)."""
        subject, period = subject_and_period(subject_input, period_input, self._calendar)
        require_closed(period, self._clock())
        members = await self._readable(principal, subject)
        subjects = [subject, *(Subject(SubjectKind.PERSON, m) for m in members)]
        won = await self._won(period, subject, members)
        actuals = {s: amount for s, (amount, _) in won.items()}
        standing = await self._submissions.standing(subjects, period)
        lines = accuracy(subjects, standing, actuals, period, self._base)
        return AccuracyReport(subject, period, lines)

    async def calibration(
        self, principal: Principal, pipeline_id: str | None, first: date, last: date
    ) -> Calibration:
        """The deals won or lost from `first` to `last` (local days, both included) that the
        caller may list, in probability bands."""
        starts, ends = calibration_range(first, last, self._calendar)
        match: Document = {
            "status": {"$in": CLOSED},
            "closing.at": {"$gte": starts, "$lt": ends},
        }
        if pipeline_id:
            match["pipelineId"] = pipeline_id
        match = restrict(match, access.condition(principal, Action.LIST))
        cursor = await self._opportunities.aggregate(
            calibration_pipeline(match), hint=CLOSED_DEALS_INDEX
        )
        rows = [ClosedAt(int(d["_id"]), int(d["n"]), int(d["won"])) async for d in cursor]
        return Calibration(pipeline_id, first, last, calibration(rows))

    async def _won(
        self, period: Period, subject: Subject, members: Sequence[str] = ()
    ) -> dict[Subject, tuple[Money, int]]:
        """Won in the period: the booked base amount and count per subject (the subject and
        the team members given), from one aggregate."""
        team = subject.id if subject.kind is SubjectKind.TEAM else None
        owners = list(members) if team is not None else [subject.id]
        cursor = await self._opportunities.aggregate(
            closed_deals_pipeline(period, owners, team), hint=CLOSED_DEALS_INDEX
        )
        minor: dict[Subject, int] = {}
        count: dict[Subject, int] = {}
        async for doc in cursor:
            key = doc["_id"]
            if key["status"] != str(Status.WON):
                continue
            found = [Subject(SubjectKind.PERSON, str(key.get("owner") or ""))]
            if key.get("inTeam") and team is not None:
                found.append(subject)
            for each in found:
                minor[each] = minor.get(each, 0) + int(doc["booked"])
                count[each] = count.get(each, 0) + int(doc["n"])
        return {s: (from_minor(m, self._base), count[s]) for s, m in minor.items()}

    async def _open_groups(
        self, period: Period, subject: Subject, rates: RateTable
    ) -> list[OpenGroup]:
        person = subject.kind is SubjectKind.PERSON
        where = OpportunityFilter(
            owner_id=subject.id if person else None,
            team=None if person else subject.id,
            statuses=(Status.OPEN,),
            close_from=period.first_day,
            close_to=date.fromordinal(period.end_day.toordinal() - 1),
        )
        groups = await self._deals.groups(where)
        pipelines = await self._pipelines.get_many(sorted({g.pipeline_id for g in groups}))
        today = day_of(self._clock())
        return [open_group(g, pipelines.get(g.pipeline_id), rates, today) for g in groups]

    async def _readable(self, principal: Principal, subject: Subject) -> list[str]:
        """Once the caller may read the subject: a team's members' staff ids ([] for a
        person); BAD_USER_INPUT for an unknown person or team, FORBIDDEN otherwise."""
        scope = access.scope(principal, Action.READ)
        if subject.kind is SubjectKind.PERSON:
            person = await self._roster.get(subject.id)
            if person is None:
                raise unknown_subject(subject)
            if not may_read_person(principal, scope, person):
                raise forbidden(f"the forecast of {subject.id}")
            return []
        if not may_read_team(principal, scope, subject.id):
            raise forbidden(f"the forecast of team {subject.id}")
        members = [m.id for m in await self._roster.members(subject.id, self._clock())]
        if not members:
            raise unknown_subject(subject)
        return members
