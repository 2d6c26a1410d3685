"""Read side of targets: the targets a caller may see, a person's or a team's attainment in a
period, and a team's leaderboard.

Every figure comes from ONE aggregate over the deals closed in the period: the index over
(status, closing time, owner, team) bounds it to the WON and LOST deals whose close time falls
in the period, and the owner or team condition is judged on the index keys, so the work grows
with the deals closed in that period, not with all deals. Won amounts are the base-currency
amounts the deals were booked at when they were won (`bookedMinor`), never re-converted.

Who may read what (FORBIDDEN otherwise): a person's targets and figures — that person, the
MANAGER of their team, ADMIN and ANALYST (the opportunity read scope on that person's deals,
so SALES also their team's when ACCESS_SALES_SEE_TEAM_CUSTOMERS is on, as for the deals
themselves); a team's figures and leaderboard — its members (SALES and MANAGER), ADMIN and
ANALYST.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.auth import Principal
from crm_kit.errors import Forbidden
from crm_kit.mongo import Document
from crm_kit.policy import Action, Scope, restrict
from crm_sales import access
from crm_sales.money.model import from_minor
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.opportunities.values import Status
from crm_sales.shared.listing import KeyKind, KeysetOrder, Page, Position, find_page, page_of
from crm_sales.targets.model import (
    Attainment,
    Goal,
    Leaderboard,
    PeriodInput,
    Standing,
    Subject,
    SubjectInput,
    SubjectKind,
    Tally,
    Target,
    may_read_person,
    may_read_team,
    ranked,
    roll_up,
    subject_and_period,
    unknown_subject,
)
from crm_sales.targets.periods import Period, PeriodKind, SalesCalendar
from crm_sales.targets.store import (
    CLOSED_DEALS_INDEX,
    TARGETS,
    StaffRoster,
    TargetRepository,
    target_from_doc,
)

ORDER = KeysetOrder("SALES_TARGETS", "periodStart", KeyKind.TIME)
CLOSED = [str(Status.WON), str(Status.LOST)]


@dataclass(frozen=True, slots=True)
class TargetFilter:
    """Conditions of `salesTargets`, each optional and ANDed."""

    staff_id: str | None = None
    team: str | None = None  # the team's own target and its members'
    period_kind: PeriodKind | None = None
    year: int | None = None


@dataclass(slots=True)
class Tallies:
    """What one aggregate found: per owner asked for, and for the team asked for."""

    by_owner: dict[str, Tally] = field(default_factory=dict)
    team: Tally = field(default_factory=Tally)

    def of(self, staff_id: str) -> Tally:
        return self.by_owner.get(staff_id, Tally())


def forbidden(what: str) -> Forbidden:
    return Forbidden(f"Not allowed: read {what}", action=str(Action.READ), resource="SalesTarget")


def _tally(doc: Document) -> Tally:
    if doc["_id"]["status"] == str(Status.WON):
        return Tally(
            won=int(doc["n"]),
            won_minor=int(doc["booked"]),
            unbooked=int(doc["unbooked"]),
            cycle_ms=int(doc["cycle"]),
        )
    return Tally(lost=int(doc["n"]))


def closed_deals_pipeline(
    period: Period, owners: Sequence[str], team: str | None
) -> list[Document]:
    """The aggregate of `TargetQueries.tallies`: closed deals of the period owned by one of
    `owners` or of `team`, grouped by owner, whether of the team, and status."""
    match: Document = {
        "status": {"$in": CLOSED},
        "closing.at": {"$gte": period.starts_at, "$lt": period.ends_at},
    }
    branches: list[Document] = []
    if owners:
        branches.append({"ownerId": {"$in": list(dict.fromkeys(owners))}})
    if team is not None:
        branches.append({"team": team})
    match = restrict(match, branches[0] if len(branches) == 1 else {"$or": branches})
    booked = {"$ifNull": ["$bookedMinor", None]}
    return [
        {"$match": match},
        {
            "$group": {
                "_id": {
                    "owner": "$ownerId",
                    "inTeam": {"$eq": ["$team", team]} if team is not None else False,
                    "status": "$status",
                },
                "n": {"$sum": 1},
                "booked": {"$sum": {"$ifNull": ["$bookedMinor", 0]}},
                "unbooked": {"$sum": {"$cond": [{"$eq": [booked, None]}, 1, 0]}},
                "cycle": {"$sum": {"$subtract": ["$closing.at", "$createdAt"]}},
            }
        },
    ]


class TargetQueries:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        targets: TargetRepository,
        roster: StaffRoster,
        *,
        calendar: SalesCalendar,
        base_currency: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._collection = db[TARGETS]
        self._deals = db[OPPORTUNITIES]
        self._targets = targets
        self._roster = roster
        self._calendar = calendar
        self._base = base_currency
        self._clock = clock

    async def attainment(
        self, principal: Principal, subject_input: SubjectInput, period_input: PeriodInput
    ) -> Attainment:
        """A person's or a team's target and figures for the period, as of now."""
        subject, period = subject_and_period(subject_input, period_input, self._calendar)
        scope = access.scope(principal, Action.READ)
        if subject.kind is SubjectKind.PERSON:
            await self._require_person(principal, scope, subject)
            own = await self._targets.find(subject, period)
            goal, source = roll_up(own, ())
            tally = (await self.tallies(period, [subject.id], None)).of(subject.id)
        else:
            members = await self._readable_team(principal, scope, subject.id)
            own = await self._targets.find(subject, period)
            people = () if own else await self._targets.of_people(members, period)
            goal, source = roll_up(own, people)
            tally = (await self.tallies(period, (), subject.id)).team
        return Attainment(subject, period, goal, source, own, tally, self._base, self._clock())

    async def leaderboard(
        self, principal: Principal, team: str, period_input: PeriodInput
    ) -> Leaderboard:
        """The team's figures and its members ranked by attainment, from one aggregate."""
        given = period_input
        period = self._calendar.period(given.kind, given.year, given.number, "period")
        subject = Subject(SubjectKind.TEAM, team.strip())
        members = await self._readable_team(
            principal, access.scope(principal, Action.READ), subject.id, at="team"
        )
        own = await self._targets.find(subject, period)
        people = await self._targets.of_people(members, period)
        goal, source = roll_up(own, people)
        tallies = await self.tallies(period, members, subject.id)
        goals = {t.subject.id: t.goal for t in people}
        standings = [self._standing(m, goals.get(m), tallies.of(m)) for m in members]
        now = self._clock()
        figures = Attainment(subject, period, goal, source, own, tallies.team, self._base, now)
        return Leaderboard(figures, ranked(standings))

    def _standing(self, staff_id: str, goal: Goal | None, tally: Tally) -> Standing:
        return Standing(staff_id, goal, from_minor(tally.won_minor, self._base), tally.won)

    async def tallies(self, period: Period, owners: Sequence[str], team: str | None) -> Tallies:
        """The deals closed in the period, per owner in `owners` and for `team`."""
        found = Tallies()
        if not owners and team is None:
            return found
        cursor = await self._deals.aggregate(
            closed_deals_pipeline(period, owners, team), hint=CLOSED_DEALS_INDEX
        )
        wanted = set(owners)
        async for doc in cursor:
            tally, key = _tally(doc), doc["_id"]
            owner = str(key.get("owner") or "")
            if owner in wanted:
                found.by_owner[owner] = found.of(owner).plus(tally)
            if key.get("inTeam"):
                found.team = found.team.plus(tally)
        return found

    async def selection(self, principal: Principal, where: TargetFilter) -> Document:
        """The MongoDB condition of `salesTargets`: the filter within what the caller may see
        (SALES their own targets, MANAGER their team's and its members', ADMIN and ANALYST
        all); FORBIDDEN for a role without an opportunity list scope."""
        scope = access.scope(principal, Action.LIST)
        if scope is Scope.NONE:
            raise forbidden("sales targets")
        query: Document = {}
        if where.staff_id:
            query.update(subjectKind=str(SubjectKind.PERSON), subjectId=where.staff_id.strip())
        if where.period_kind is not None:
            query["periodKind"] = str(where.period_kind)
        if where.year is not None:
            query["periodYear"] = where.year
        if where.team:
            query = restrict(query, await self._of_team(where.team.strip(), ()))
        if scope is Scope.OWN:
            mine = {"subjectKind": str(SubjectKind.PERSON), "subjectId": principal.sub}
            return restrict(query, mine)
        if scope is Scope.TEAM:
            return restrict(query, await self._of_team(principal.team, (principal.sub,)))
        return query

    async def page(self, selection: Document, first: int, after: str | None) -> Page[Target]:
        """Targets by period start (earliest first), then id."""
        position: Position | None = ORDER.position(after)
        docs, more = await find_page(self._collection, selection, ORDER, first, position)
        return page_of(docs, more, ORDER, lambda d: target_from_doc(d, self._calendar))

    async def count(self, selection: Document) -> int:
        return await self._collection.count_documents(selection)

    async def _of_team(self, team: str, also: Sequence[str]) -> Document:
        """The team's own targets and those of its members (and of `also`)."""
        members = [m.id for m in await self._roster.members(team, self._clock())]
        members += also
        return {
            "$or": [
                {"subjectKind": str(SubjectKind.TEAM), "subjectId": team},
                {"subjectKind": str(SubjectKind.PERSON), "subjectId": {"$in": members}},
            ]
        }

    async def _require_person(self, principal: Principal, scope: Scope, subject: Subject) -> None:
        person = await self._roster.get(subject.id)
        if person is None:
            raise unknown_subject(subject)
        if not may_read_person(principal, scope, person):
            raise forbidden(f"the figures of {subject.id}")

    async def _readable_team(
        self, principal: Principal, scope: Scope, team: str, at: str | None = None
    ) -> list[str]:
        """The team's members' staff ids, once the caller may read the team and it exists."""
        if not may_read_team(principal, scope, team):
            raise forbidden(f"the figures of team {team}")
        members = [m.id for m in await self._roster.members(team, self._clock())]
        if not members:
            raise unknown_subject(Subject(SubjectKind.TEAM, team), at=at)
        return members
