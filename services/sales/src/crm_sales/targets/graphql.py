"""GraphQL of targets: `salesTargets`, `targetAttainment`, `teamLeaderboard`,
`setSalesTarget` and `clearSalesTarget`.

Access, checked in every field (FORBIDDEN otherwise): reading a person's targets and figures —
that person, the MANAGER of their team, ADMIN and ANALYST; a team's figures and leaderboard —
its SALES and MANAGER members, ADMIN and ANALYST; setting and clearing — ADMIN any target, a
MANAGER those of their own team and its members; SALES, SERVICE and ANALYST none.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_kit.graphql import ExpectedVersion, PageAfter, PageFirst, page_info
from crm_kit.paging import page_size
from crm_sales.graphql.context import Info
from crm_sales.targets import model
from crm_sales.targets.model import MAX_WON_DEALS
from crm_sales.targets.periods import EARLIEST_YEAR, LATEST_YEAR, PeriodKind
from crm_sales.targets.queries import TargetFilter
from crm_sales.targets.service import TargetChange
from crm_sales.targets.types import (
    SalesTargetConnection,
    SalesTargetEdge,
    SalesTargetType,
    TargetAttainmentType,
    TeamLeaderboard,
)

SUBJECT_ERRORS = (
    "`subject` REQUIRED; `subject.team` NOT_APPLICABLE (with `staffId`), UNKNOWN_TEAM; "
    "`subject.staffId` UNKNOWN_STAFF; `subject.staffId` / `subject.team` TOO_LONG"
)
PERIOD_ERRORS = (
    "`period.year` OUT_OF_RANGE; `period.number` REQUIRED (MONTH, QUARTER), OUT_OF_RANGE, "
    "NOT_APPLICABLE (YEAR)"
)


@strawberry.input(description="A period: a month, a fiscal quarter or a fiscal year.")
class SalesPeriodInput:
    kind: PeriodKind = strawberry.field(description="Month, quarter or year.")
    year: int = strawberry.field(
        description=f"The calendar year of a MONTH; the fiscal year of a QUARTER or YEAR, named "
        f"by the calendar year it starts in. {EARLIEST_YEAR}–{LATEST_YEAR}."
    )
    number: int | None = strawberry.field(
        default=None,
        description="The month (1–12) of a MONTH or the quarter (1–4) of a QUARTER; left out "
        "for a YEAR.",
    )

    def to_input(self) -> model.PeriodInput:
        return model.PeriodInput(self.kind, self.year, self.number)


@strawberry.input(description="Whom a target is for: a staff id or a team, one of the two.")
class SalesTargetSubjectInput:
    staff_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A member of the sales staff (SALES or MANAGER) this service knows: someone "
        "who has used it at least once.",
    )
    team: str | None = strawberry.field(
        default=None, description="A team with at least one member of the sales staff."
    )

    def to_input(self) -> model.SubjectInput:
        return model.SubjectInput(self.staff_id, self.team)


@strawberry.input(description="A target to set.")
class SetSalesTargetInput:
    subject: SalesTargetSubjectInput = strawberry.field(description="Whom it is for.")
    period: SalesPeriodInput = strawberry.field(description="The period it is for.")
    amount: str = strawberry.field(
        description="The amount to win in the base currency: a decimal string above 0, with at "
        "most the currency's decimals (`500000.00`)."
    )
    won_deals: int | None = strawberry.field(
        default=None,
        description=f"Also a number of deals to win, 1–{MAX_WON_DEALS}; left out: on the "
        "amount only.",
    )


@strawberry.input(description="Which targets `salesTargets` lists; every condition given holds.")
class SalesTargetFilterInput:
    staff_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this person's targets."
    )
    team: str | None = strawberry.field(
        default=None, description="Only the team's own targets and those of its members."
    )
    period_kind: PeriodKind | None = strawberry.field(
        default=None, description="Only targets of this kind of period."
    )
    year: int | None = strawberry.field(
        default=None,
        description="Only periods of this year (the calendar year of months, the fiscal year "
        "of quarters and years).",
    )

    def to_filter(self) -> TargetFilter:
        return TargetFilter(self.staff_id, self.team, self.period_kind, self.year)


@strawberry.type(description="What setSalesTarget saved.")
class SetSalesTargetPayload:
    target: SalesTargetType = strawberry.field(description="The target as saved.")


@strawberry.type(description="What clearSalesTarget removed.")
class ClearSalesTargetPayload:
    target: SalesTargetType = strawberry.field(description="The target as it was.")


SubjectArgument = Annotated[
    SalesTargetSubjectInput, strawberry.argument(description="Whose target or figures.")
]
PeriodArgument = Annotated[SalesPeriodInput, strawberry.argument(description="The period.")]


@strawberry.type
class TargetQuery:
    @strawberry.field(
        description="The sales targets the caller may see, by period start (earliest first): "
        "SALES their own, MANAGER their team's and its members', ADMIN and ANALYST all (other "
        "roles: FORBIDDEN). Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE; `after` "
        "INVALID_CURSOR)."
    )
    async def sales_targets(
        self,
        info: Info,
        filter: Annotated[
            SalesTargetFilterInput | None,
            strawberry.argument(description="Conditions; none: every target the caller sees."),
        ] = None,
        first: PageFirst = 20,
        after: PageAfter = None,
    ) -> SalesTargetConnection:
        queries = info.context.deps.target_queries
        where = filter.to_filter() if filter is not None else TargetFilter()
        selection = await queries.selection(info.context.principal, where)
        page = await queries.page(selection, page_size(first), after)
        edges = [
            SalesTargetEdge(cursor=c, node=SalesTargetType.of(t))
            for t, c in zip(page.items, page.cursors, strict=True)
        ]
        return SalesTargetConnection(
            edges=edges,
            page_info=page_info(page.cursors, page.has_next, after is not None),
            count=lambda: queries.count(selection),
        )

    @strawberry.field(
        description="A person's or a team's target and results in a period: won amount and "
        "count, win rate, average cycle, attainment, gap and pace (a team without its own "
        "target: its members' rolled up). A person: themselves, their team's MANAGER, ADMIN, "
        "ANALYST; a team: its members, ADMIN, ANALYST. Null with the error at its path: "
        f"BAD_USER_INPUT ({SUBJECT_ERRORS}; {PERIOD_ERRORS}), FORBIDDEN."
    )
    async def target_attainment(
        self, info: Info, subject: SubjectArgument, period: PeriodArgument
    ) -> TargetAttainmentType | None:
        found = await info.context.deps.target_queries.attainment(
            info.context.principal, subject.to_input(), period.to_input()
        )
        return TargetAttainmentType.of(found)

    @strawberry.field(
        description="A team's results in a period and its members ranked by attainment, with "
        "their won amounts. The team's members (SALES and MANAGER), ADMIN and ANALYST. Null "
        "with the error at its path: BAD_USER_INPUT (`team` UNKNOWN_TEAM; "
        f"{PERIOD_ERRORS}), FORBIDDEN."
    )
    async def team_leaderboard(
        self,
        info: Info,
        team: Annotated[str, strawberry.argument(description="The team.")],
        period: PeriodArgument,
    ) -> TeamLeaderboard | None:
        board = await info.context.deps.target_queries.leaderboard(
            info.context.principal, team, period.to_input()
        )
        return TeamLeaderboard.of(board)


@strawberry.type
class TargetMutation:
    @strawberry.mutation(
        description="Set a person's or a team's target for a period. Without "
        "`expectedVersion` it creates the target; with it, it changes the subject's target of "
        "that period if still at that version. ADMIN any; MANAGER their team's and its "
        "members'. Errors: BAD_USER_INPUT ("
        f"{SUBJECT_ERRORS}; {PERIOD_ERRORS}; `amount` INVALID, FLOAT_NOT_ALLOWED, NOT_FINITE, "
        "NEGATIVE, PRECISION, OUT_OF_RANGE; `wonDeals` OUT_OF_RANGE), CONFLICT (a target is "
        "already set for that subject and period: `field: period`, `conflictingId` and "
        "`currentVersion` of it; a stale expectedVersion), NOT_FOUND (expectedVersion given "
        "and no such target), FORBIDDEN."
    )
    async def set_sales_target(
        self,
        info: Info,
        input: Annotated[SetSalesTargetInput, strawberry.argument(description="The target.")],
        expected_version: ExpectedVersion = None,
    ) -> SetSalesTargetPayload:
        change = TargetChange(
            input.subject.to_input(), input.period.to_input(), input.amount, input.won_deals
        )
        saved = await info.context.deps.targets.set(
            info.context.principal, change, expected_version
        )
        return SetSalesTargetPayload(target=SalesTargetType.of(saved))

    @strawberry.mutation(
        description="Remove a person's or a team's target for a period (a team then rolls up "
        "from its members again). ADMIN any; MANAGER their team's and its members'. Errors: "
        f"BAD_USER_INPUT ({SUBJECT_ERRORS}; {PERIOD_ERRORS}), NOT_FOUND (no target), CONFLICT "
        "(expectedVersion, with currentVersion), FORBIDDEN."
    )
    async def clear_sales_target(
        self,
        info: Info,
        subject: SubjectArgument,
        period: PeriodArgument,
        expected_version: ExpectedVersion = None,
    ) -> ClearSalesTargetPayload:
        cleared = await info.context.deps.targets.clear(
            info.context.principal, subject.to_input(), period.to_input(), expected_version
        )
        return ClearSalesTargetPayload(target=SalesTargetType.of(cleared))
