"""GraphQL output types of targets: periods, targets, attainment with its pace, and the team
leaderboard. Amounts are `Money` in the base currency; percentages and day counts are exact
decimal strings (never floats)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

import strawberry

from crm_kit.graphql import PageInfo, described_enum
from crm_sales.graphql.common import MoneyType, decimal_text, money_of, money_shown
from crm_sales.graphql.refs import StaffEntity, staff_ref
from crm_sales.targets import model
from crm_sales.targets.model import PaceStatus, SubjectKind, TargetSource
from crm_sales.targets.periods import Period, PeriodKind

described_enum(
    PeriodKind,
    "How long a target's period is.",
    {
        PeriodKind.MONTH: "A calendar month (`2026-07`).",
        PeriodKind.QUARTER: "A quarter of the fiscal year (`FY2026-Q3`).",
        PeriodKind.YEAR: "A fiscal year (`FY2026`), named by the calendar year it starts in.",
    },
    name="SalesPeriodKind",
)
described_enum(
    SubjectKind,
    "Whom a target is for.",
    {
        SubjectKind.PERSON: "One member of the sales staff.",
        SubjectKind.TEAM: "A team.",
    },
    name="SalesTargetSubjectKind",
)
described_enum(
    TargetSource,
    "Where the goal attainment is measured against comes from.",
    {
        TargetSource.EXPLICIT: "The subject's own target.",
        TargetSource.ROLLED_UP: "A team without its own target: the sum of its members' targets "
        "of the period.",
        TargetSource.NONE: "No target: neither the subject's own nor (for a team) any member's.",
    },
    name="SalesTargetSource",
)
described_enum(
    PaceStatus,
    "How the won amount compares with the share of the period gone by.",
    {
        PaceStatus.NOT_STARTED: "The period has not begun.",
        PaceStatus.BEHIND: "Less won than the target times the share of the period gone by.",
        PaceStatus.AHEAD: "At least the target times the share of the period gone by, not yet "
        "all of it.",
        PaceStatus.MET: "The whole target is won.",
    },
    name="SalesPaceStatus",
)


@strawberry.type(
    name="SalesPeriod",
    description="A month, fiscal quarter or fiscal year in the organisation's time zone "
    "(SALES_TIME_ZONE), the fiscal year starting in the month SALES_FISCAL_YEAR_START_MONTH.",
)
class SalesPeriodType:
    kind: PeriodKind = strawberry.field(description="Month, quarter or year.")
    year: int = strawberry.field(
        description="The calendar year of a MONTH; the fiscal year of a QUARTER or YEAR (named "
        "by the calendar year it starts in)."
    )
    number: int | None = strawberry.field(
        description="The month (1–12) of a MONTH, the quarter (1–4) of a QUARTER; null for a YEAR."
    )
    label: str = strawberry.field(description="`2026-07`, `FY2026-Q3` or `FY2026`.")
    starts_at: datetime = strawberry.field(
        description="Midnight of its first day in the organisation's time zone (included)."
    )
    ends_at: datetime = strawberry.field(
        description="Midnight after its last day in the organisation's time zone (not "
        "included): a deal counts in the period when it closed at or after `startsAt` and "
        "before `endsAt`."
    )
    first_day: date = strawberry.field(description="Its first calendar day.")
    last_day: date = strawberry.field(description="Its last calendar day.")

    @classmethod
    def of(cls, period: Period) -> SalesPeriodType:
        return cls(
            kind=period.kind,
            year=period.year,
            number=period.number or None,
            label=period.label,
            starts_at=period.starts_at,
            ends_at=period.ends_at,
            first_day=period.first_day,
            last_day=period.end_day - timedelta(days=1),
        )


@strawberry.type(name="SalesTargetSubject", description="Whom a target or figures are for.")
class SalesTargetSubjectType:
    kind: SubjectKind = strawberry.field(description="A person or a team.")
    staff_id: strawberry.ID | None = strawberry.field(
        description="The person's staff id; null for a team."
    )
    team: str | None = strawberry.field(description="The team; null for a person.")

    @strawberry.field(
        description="The person (resolved by the customer subgraph); null for a team."
    )
    def staff_member(self) -> StaffEntity | None:
        return staff_ref(self.staff_id)

    @classmethod
    def of(cls, subject: model.Subject) -> SalesTargetSubjectType:
        person = subject.kind is SubjectKind.PERSON
        return cls(
            kind=subject.kind,
            staff_id=strawberry.ID(subject.id) if person else None,
            team=None if person else subject.id,
        )


@strawberry.type(name="SalesTarget", description="What a person or a team is to win in a period.")
class SalesTargetType:
    id: strawberry.ID = strawberry.field(description="The target's id.")
    subject: SalesTargetSubjectType = strawberry.field(description="Whom it is for.")
    period: SalesPeriodType = strawberry.field(description="The period it is for.")
    amount: MoneyType = strawberry.field(
        description="The amount to win, in the base currency (SALES_BASE_CURRENCY)."
    )
    won_deals: int | None = strawberry.field(
        description="The number of deals to win; null when the target is on the amount only."
    )
    version: int = strawberry.field(
        description="1 when set, +1 per change: the `expectedVersion` of the next change."
    )
    updated_at: datetime = strawberry.field(description="When it was last set.")
    updated_by: strawberry.ID = strawberry.field(description="Who last set it (staff id).")

    @strawberry.field(description="Who last set it; null when not in the staff directory.")
    def last_editor(self) -> StaffEntity | None:
        return staff_ref(self.updated_by)

    @classmethod
    def of(cls, target: model.Target) -> SalesTargetType:
        return cls(
            id=strawberry.ID(target.id),
            subject=SalesTargetSubjectType.of(target.subject),
            period=SalesPeriodType.of(target.period),
            amount=money_shown(target.goal.amount),
            won_deals=target.goal.won_deals,
            version=target.version,
            updated_at=target.updated_at,
            updated_by=strawberry.ID(target.updated_by),
        )


@strawberry.type(description="A sales target and its cursor.")
class SalesTargetEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: SalesTargetType = strawberry.field(description="The target.")


@strawberry.type(description="A page of sales targets, by period start (earliest first).")
class SalesTargetConnection:
    edges: list[SalesTargetEdge] = strawberry.field(description="This page's targets.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All targets of the list, not only this page.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(name="SalesPace", description="The won amount against the calendar.")
class SalesPaceType:
    elapsed_percent: str = strawberry.field(
        description="The share of the period gone by, in percent (0–100, two decimals)."
    )
    expected_to_date: MoneyType = strawberry.field(
        description="The target times that share: what being on pace means by now."
    )
    status: PaceStatus = strawberry.field(description="Ahead, behind, met or not started.")
    projected: MoneyType | None = strawberry.field(
        description="What the period would end at if winning went on at the rate so far; null "
        "before the period begins."
    )

    @classmethod
    def of(cls, pace: model.Pace) -> SalesPaceType:
        return cls(
            elapsed_percent=f"{pace.elapsed_percent:f}",
            expected_to_date=money_shown(pace.expected),
            status=pace.status,
            projected=money_of(pace.projected),
        )


@strawberry.type(
    name="TargetAttainment",
    description="A person's or a team's results in a period against its target: the deals "
    "won and lost in the period (closed at or after its start, before its end), the won "
    "amounts in the base currency as booked when won.",
)
class TargetAttainmentType:
    subject: SalesTargetSubjectType = strawberry.field(description="Whose figures these are.")
    period: SalesPeriodType = strawberry.field(description="The period.")
    target_source: TargetSource = strawberry.field(
        description="The subject's own target, a team's roll-up of its members', or none."
    )
    target: SalesTargetType | None = strawberry.field(
        description="The subject's own target; null when rolled up or none."
    )
    target_amount: MoneyType | None = strawberry.field(
        description="The amount measured against (own or rolled up); null without a target."
    )
    target_won_deals: int | None = strawberry.field(
        description="The number of deals measured against (a roll-up sums the members who set "
        "one); null when none was set."
    )
    won: MoneyType = strawberry.field(
        description="The base amounts of the deals won in the period, as booked when won."
    )
    won_deals: int = strawberry.field(description="How many deals were won in the period.")
    won_without_base_amount: int = strawberry.field(
        description="Won deals not in `won`: without an amount, or without an exchange rate "
        "when they were won."
    )
    lost_deals: int = strawberry.field(description="How many deals were lost in the period.")
    win_rate_percent: str | None = strawberry.field(
        description="Won / (won + lost) of the deals closed in the period, in percent (two "
        "decimals); null when none closed."
    )
    average_cycle_days: str | None = strawberry.field(
        description="The mean days from a won deal's creation to its winning (one decimal); "
        "null when none was won."
    )
    attainment_percent: str | None = strawberry.field(
        description="`won` of `targetAmount` in percent (two decimals, above 100 when "
        "exceeded); null without a target."
    )
    won_deals_attainment_percent: str | None = strawberry.field(
        description="`wonDeals` of `targetWonDeals` in percent; null without a deal goal."
    )
    gap: MoneyType | None = strawberry.field(
        description="What is still to win to reach `targetAmount` (0 once met); null without "
        "a target."
    )
    won_deals_gap: int | None = strawberry.field(
        description="Deals still to win to reach `targetWonDeals` (0 once met); null without "
        "a deal goal."
    )
    pace: SalesPaceType | None = strawberry.field(
        description="The won amount against the calendar; null without a target."
    )
    as_of: datetime = strawberry.field(description="When these figures were read.")

    @classmethod
    def of(cls, found: model.Attainment) -> TargetAttainmentType:
        goal, tally, pace = found.goal, found.tally, found.pace
        return cls(
            subject=SalesTargetSubjectType.of(found.subject),
            period=SalesPeriodType.of(found.period),
            target_source=found.source,
            target=SalesTargetType.of(found.target) if found.target else None,
            target_amount=money_of(goal.amount) if goal else None,
            target_won_deals=goal.won_deals if goal else None,
            won=money_shown(found.won),
            won_deals=tally.won,
            won_without_base_amount=tally.unbooked,
            lost_deals=tally.lost,
            win_rate_percent=decimal_text(found.win_rate),
            average_cycle_days=decimal_text(found.average_cycle_days),
            attainment_percent=decimal_text(found.attainment_percent),
            won_deals_attainment_percent=decimal_text(found.deals_percent),
            gap=money_of(found.gap),
            won_deals_gap=found.deals_gap,
            pace=SalesPaceType.of(pace) if pace else None,
            as_of=found.as_of,
        )


@strawberry.type(description="One member's line on a team's leaderboard.")
class LeaderboardEntry:
    rank: int = strawberry.field(
        description="1 for the highest attainment; members with equal attainment and won "
        "amount share a rank (1, 1, 3)."
    )
    staff_id: strawberry.ID = strawberry.field(description="The member's staff id.")
    target_amount: MoneyType | None = strawberry.field(
        description="The member's own target for the period; null when none."
    )
    won: MoneyType = strawberry.field(
        description="The base amounts of the member's deals won in the period, as booked."
    )
    won_deals: int = strawberry.field(description="How many deals the member won in the period.")
    attainment_percent: str | None = strawberry.field(
        description="`won` of `targetAmount` in percent (two decimals); null without a target "
        "(such members rank after those with one, by won amount)."
    )

    @strawberry.field(description="The member (resolved by the customer subgraph).")
    def staff_member(self) -> StaffEntity | None:
        return staff_ref(self.staff_id)

    @classmethod
    def of(cls, standing: model.Standing) -> LeaderboardEntry:
        return cls(
            rank=standing.rank,
            staff_id=strawberry.ID(standing.staff_id),
            target_amount=money_of(standing.goal.amount) if standing.goal else None,
            won=money_shown(standing.won),
            won_deals=standing.won_deals,
            attainment_percent=decimal_text(standing.attainment_percent),
        )


@strawberry.type(
    description="A team's results in a period and its members ranked by attainment. Members: "
    "the sales staff (SALES or MANAGER) this service knows in the team."
)
class TeamLeaderboard:
    team: str = strawberry.field(description="The team.")
    period: SalesPeriodType = strawberry.field(description="The period.")
    attainment: TargetAttainmentType = strawberry.field(
        description="The team's own figures: every deal of the team closed in the period, "
        "against its own target or its members' rolled up."
    )
    entries: list[LeaderboardEntry] = strawberry.field(
        description="Every member, highest attainment first."
    )

    @classmethod
    def of(cls, board: model.Leaderboard) -> TeamLeaderboard:
        return cls(
            team=board.team.subject.id,
            period=SalesPeriodType.of(board.team.period),
            attainment=TargetAttainmentType.of(board.team),
            entries=[LeaderboardEntry.of(s) for s in board.standings],
        )
