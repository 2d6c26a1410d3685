"""GraphQL output types of forecasts: the figures of a subject and period with its
submissions, the accuracy lines, and the probability calibration. Amounts are `Money` in the
base currency; percentages are exact decimal strings (never floats)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from crm_kit.graphql import described_enum
from crm_sales.forecast import model
from crm_sales.forecast.model import SubmissionKind
from crm_sales.forecast.queries import AccuracyReport, Calibration, Forecast
from crm_sales.graphql.common import MoneyType, decimal_text, money_shown
from crm_sales.graphql.refs import StaffEntity, staff_ref
from crm_sales.targets.types import SalesPeriodType, SalesTargetSubjectType, SalesTargetType

described_enum(
    SubmissionKind,
    "Who gave a forecast number.",
    {
        SubmissionKind.SUBMITTED: "The person themselves, for their own forecast.",
        SubmissionKind.ADJUSTED: "A MANAGER of the team (or an ADMIN), for a member's or the "
        "team's forecast, with a note.",
    },
    name="SalesForecastSubmissionKind",
)


@strawberry.type(
    name="SalesForecastSubmission",
    description="A forecast number as submitted; never changed afterwards.",
)
class SalesForecastSubmissionType:
    id: strawberry.ID = strawberry.field(description="The submission's id.")
    subject: SalesTargetSubjectType = strawberry.field(description="Whose forecast it is.")
    amount: MoneyType = strawberry.field(description="The number, in the base currency.")
    note: str | None = strawberry.field(description="Why (always given for an adjustment).")
    kind: SubmissionKind = strawberry.field(description="Submitted by the person or adjusted.")
    submitted_by: strawberry.ID = strawberry.field(description="Who gave it (staff id).")
    submitted_at: datetime = strawberry.field(description="When.")

    @strawberry.field(description="Who gave it; null when not in the staff directory.")
    def submitter(self) -> StaffEntity | None:
        return staff_ref(self.submitted_by)

    @classmethod
    def of(cls, s: model.Submission) -> SalesForecastSubmissionType:
        return cls(
            id=strawberry.ID(s.id),
            subject=SalesTargetSubjectType.of(s.subject),
            amount=money_shown(s.amount),
            note=s.note,
            kind=s.kind,
            submitted_by=strawberry.ID(s.submitted_by),
            submitted_at=s.submitted_at,
        )


@strawberry.type(
    name="SalesForecast",
    description="A person's or a team's forecast for a period, as of now, in the base currency. "
    "Categories are cumulative: `commit` ⊂ `bestCase` ⊂ `pipeline`.",
)
class SalesForecastType:
    subject: SalesTargetSubjectType = strawberry.field(description="Whose forecast.")
    period: SalesPeriodType = strawberry.field(description="The period.")
    closed_won: MoneyType = strawberry.field(
        description="Won in the period (closed at or after its start, before its end), at the "
        "base amounts the deals were booked at."
    )
    won_deals: int = strawberry.field(description="How many deals were won in the period.")
    commit: MoneyType = strawberry.field(
        description="Open deals expected to close in the period in a COMMIT stage, at today's "
        "rates."
    )
    best_case: MoneyType = strawberry.field(
        description="Open deals expected to close in the period in a COMMIT or BEST_CASE stage."
    )
    pipeline: MoneyType = strawberry.field(
        description="Every open deal expected to close in the period, except those in an "
        "OMITTED stage (PIPELINE + BEST_CASE + COMMIT)."
    )
    weighted_pipeline: MoneyType = strawberry.field(
        description="The same deals, each times its probability in effect (override, else the "
        "stage's default), rounded once."
    )
    open_deals: int = strawberry.field(description="How many deals `pipeline` counts.")
    open_without_base_amount: int = strawberry.field(
        description="Of those, how many are counted but not summed: no amount, or no exchange "
        "rate in effect today."
    )
    submissions: list[SalesForecastSubmissionType] = strawberry.field(
        description="The numbers submitted for this subject and period, latest first (the "
        "latest counts); at most 100."
    )
    target: SalesTargetType | None = strawberry.field(
        description="The subject's own target of the period; null when none is set."
    )

    @classmethod
    def of(cls, found: Forecast) -> SalesForecastType:
        f = found.figures
        return cls(
            subject=SalesTargetSubjectType.of(found.subject),
            period=SalesPeriodType.of(found.period),
            closed_won=money_shown(f.closed_won),
            won_deals=f.won_deals,
            commit=money_shown(f.commit),
            best_case=money_shown(f.best_case),
            pipeline=money_shown(f.pipeline),
            weighted_pipeline=money_shown(f.weighted_pipeline),
            open_deals=f.open_deals,
            open_without_base_amount=f.unpriced,
            submissions=[SalesForecastSubmissionType.of(s) for s in found.submissions],
            target=SalesTargetType.of(found.target) if found.target else None,
        )


@strawberry.type(
    name="SalesForecastAccuracyLine",
    description="One subject's forecast against what it won in a period that is over.",
)
class SalesForecastAccuracyLineType:
    subject: SalesTargetSubjectType = strawberry.field(description="Whose forecast.")
    forecast: SalesForecastSubmissionType | None = strawberry.field(
        description="The forecast measured: the latest submission made before the period "
        "started; null when none was, and then every figure below but `actual` is null."
    )
    actual: MoneyType = strawberry.field(description="Won in the period, as booked.")
    error: MoneyType | None = strawberry.field(
        description="forecast − actual: positive when the forecast was too high."
    )
    bias_percent: str | None = strawberry.field(
        description="(forecast − actual) / actual in percent, two decimals, signed; null when "
        "nothing was won (actual 0)."
    )
    absolute_percentage_error: str | None = strawberry.field(
        description="|forecast − actual| / actual in percent, two decimals; null when nothing "
        "was won (actual 0)."
    )

    @classmethod
    def of(cls, line: model.Accuracy) -> SalesForecastAccuracyLineType:
        error = line.error
        return cls(
            subject=SalesTargetSubjectType.of(line.subject),
            forecast=SalesForecastSubmissionType.of(line.forecast) if line.forecast else None,
            actual=money_shown(line.actual),
            error=money_shown(error) if error is not None else None,
            bias_percent=decimal_text(line.bias_percent),
            absolute_percentage_error=decimal_text(line.absolute_percentage_error),
        )


@strawberry.type(
    name="SalesForecastAccuracy", description="How accurate the forecasts of a closed period were."
)
class SalesForecastAccuracyType:
    subject: SalesTargetSubjectType = strawberry.field(description="The subject asked for.")
    period: SalesPeriodType = strawberry.field(description="The period.")
    lines: list[SalesForecastAccuracyLineType] = strawberry.field(
        description="The subject first; for a team, then each of its active members by staff id."
    )

    @classmethod
    def of(cls, report: AccuracyReport) -> SalesForecastAccuracyType:
        return cls(
            subject=SalesTargetSubjectType.of(report.subject),
            period=SalesPeriodType.of(report.period),
            lines=[SalesForecastAccuracyLineType.of(line) for line in report.lines],
        )


@strawberry.type(description="Deals closed with a probability in one band.")
class ProbabilityBand:
    from_percent: int = strawberry.field(description="The band's lowest probability (included).")
    to_percent: int = strawberry.field(
        description="The band's upper bound (excluded, except 100 in the 90–100 band)."
    )
    deals: int = strawberry.field(description="Deals won or lost with a probability in the band.")
    won: int = strawberry.field(description="Of those, how many were won.")
    won_percent: str | None = strawberry.field(
        description="won / deals in percent, two decimals; null for an empty band."
    )
    mean_probability_percent: str | None = strawberry.field(
        description="The mean probability of its deals, two decimals; null for an empty band. "
        "Well calibrated: close to `wonPercent`."
    )

    @classmethod
    def of(cls, band: model.Band) -> ProbabilityBand:
        return cls(
            from_percent=band.low,
            to_percent=band.high,
            deals=band.deals,
            won=band.won,
            won_percent=decimal_text(band.won_percent),
            mean_probability_percent=decimal_text(band.mean_probability),
        )


@strawberry.type(
    description="How well probabilities predicted outcomes: the deals won or lost in a range, "
    "each by the probability in effect just before it closed."
)
class ProbabilityCalibration:
    pipeline_id: strawberry.ID | None = strawberry.field(
        description="The pipeline read; null for every pipeline."
    )
    first_day: date = strawberry.field(description="The first closing day read (included).")
    last_day: date = strawberry.field(description="The last closing day read (included).")
    bands: list[ProbabilityBand] = strawberry.field(
        description="Ten bands, 0–10 to 90–100, lowest first, empty ones included."
    )

    @strawberry.field(description="All deals counted, over every band.")
    def deals(self) -> int:
        return sum(band.deals for band in self.bands)

    @classmethod
    def of(cls, found: Calibration) -> ProbabilityCalibration:
        return cls(
            pipeline_id=strawberry.ID(found.pipeline_id) if found.pipeline_id else None,
            first_day=found.first_day,
            last_day=found.last_day,
            bands=[ProbabilityBand.of(b) for b in found.bands],
        )
