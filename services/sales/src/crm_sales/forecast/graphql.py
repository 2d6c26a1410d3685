"""GraphQL of forecasts: `salesForecast`, `forecastAccuracy`, `probabilityCalibration` and
`submitForecast`.

Access, checked in every field (FORBIDDEN otherwise): reading a person's forecast and accuracy
— that person, the MANAGER of their team, ADMIN and ANALYST; a team's — its SALES and MANAGER
members, ADMIN and ANALYST; calibration — over the deals the caller may list. Submitting — a
member of the sales staff their own number; a MANAGER their team's and its members' numbers
(adjustments, with a note); ADMIN anyone's.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from crm_sales.forecast.model import MAX_RANGE_DAYS, NOTE_MAX_CHARS
from crm_sales.forecast.service import ForecastSubmission
from crm_sales.forecast.types import (
    ProbabilityCalibration,
    SalesForecastAccuracyType,
    SalesForecastSubmissionType,
    SalesForecastType,
)
from crm_sales.graphql import loaders
from crm_sales.graphql.context import Info
from crm_sales.targets.graphql import (
    PERIOD_ERRORS,
    SUBJECT_ERRORS,
    PeriodArgument,
    SalesPeriodInput,
    SalesTargetSubjectInput,
)

READ_ACCESS = (
    "A person: themselves, their team's MANAGER, ADMIN, ANALYST; a team: its members, ADMIN, "
    "ANALYST."
)
SubjectArgument = Annotated[
    SalesTargetSubjectInput, strawberry.argument(description="Whose forecast.")
]


@strawberry.input(description="A forecast number to submit.")
class SubmitForecastInput:
    subject: SalesTargetSubjectInput = strawberry.field(
        description="Whose forecast: the caller themselves, or (an adjustment) a member of the "
        "caller's team or the team."
    )
    period: SalesPeriodInput = strawberry.field(description="The period; one that is not over yet.")
    amount: str = strawberry.field(
        description="The number in the base currency: a decimal string of 0 or more, with at "
        "most the currency's decimals (`350000.00`)."
    )
    note: str | None = strawberry.field(
        default=None,
        description=f"Why; required for an adjustment, at most {NOTE_MAX_CHARS} characters.",
    )


@strawberry.input(description="Which closed deals a calibration reads.")
class ProbabilityCalibrationFilterInput:
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this pipeline's deals; every pipeline when omitted."
    )
    from_: date = strawberry.field(
        name="from",
        description="The first closing day (in the organisation's time zone), included.",
    )
    to: date = strawberry.field(
        description=f"The last closing day, included; at most {MAX_RANGE_DAYS} days after `from`."
    )


@strawberry.type(description="What submitForecast saved.")
class SubmitForecastPayload:
    submission: SalesForecastSubmissionType = strawberry.field(
        description="The submission as saved."
    )


@strawberry.type
class ForecastQuery:
    @strawberry.field(
        description="A person's or a team's forecast for a period as of now: closed won, "
        "commit, best case, pipeline and weighted pipeline in the base currency, the numbers "
        f"submitted (latest first) and the target. {READ_ACCESS} Null with the error at its "
        f"path: BAD_USER_INPUT ({SUBJECT_ERRORS}; {PERIOD_ERRORS}), FORBIDDEN."
    )
    async def sales_forecast(
        self, info: Info, subject: SubjectArgument, period: PeriodArgument
    ) -> SalesForecastType | None:
        rates = await loaders.rate_table(info)
        found = await info.context.deps.forecast_queries.forecast(
            info.context.principal, subject.to_input(), period.to_input(), rates
        )
        return SalesForecastType.of(found)

    @strawberry.field(
        description="Once a period is over: the forecast standing at its start (the latest "
        "submission made before it) against what was won — error, bias and absolute "
        "percentage error — for the subject and, for a team, each member. "
        f"{READ_ACCESS} Null with the error at its path: BAD_USER_INPUT ({SUBJECT_ERRORS}; "
        f"{PERIOD_ERRORS}; `period` PERIOD_NOT_CLOSED), FORBIDDEN."
    )
    async def forecast_accuracy(
        self, info: Info, subject: SubjectArgument, period: PeriodArgument
    ) -> SalesForecastAccuracyType | None:
        report = await info.context.deps.forecast_queries.accuracy(
            info.context.principal, subject.to_input(), period.to_input()
        )
        return SalesForecastAccuracyType.of(report)

    @strawberry.field(
        description="The deals won or lost in a range of days that the caller may list, in "
        "bands of the probability in effect just before they closed, each band's share won "
        "against its mean probability. FORBIDDEN for a role that may not list opportunities. "
        "Null with the error at its path: BAD_USER_INPUT (`filter.to` OUT_OF_RANGE)."
    )
    async def probability_calibration(
        self,
        info: Info,
        filter: Annotated[
            ProbabilityCalibrationFilterInput,
            strawberry.argument(description="The closing days and, optionally, the pipeline."),
        ],
    ) -> ProbabilityCalibration | None:
        pipeline_id = str(filter.pipeline_id) if filter.pipeline_id else None
        found = await info.context.deps.forecast_queries.calibration(
            info.context.principal, pipeline_id, filter.from_, filter.to
        )
        return ProbabilityCalibration.of(found)


@strawberry.type
class ForecastMutation:
    @strawberry.mutation(
        description="Submit a forecast number for a period that is not over; every submission "
        "is kept and the latest counts. A member of the sales staff for themselves; a MANAGER "
        "for a member of their team or the team, an ADMIN for anyone (adjustments: `note` "
        f"required). Errors: BAD_USER_INPUT ({SUBJECT_ERRORS}; {PERIOD_ERRORS}; `period` "
        "PERIOD_CLOSED; `amount` INVALID, FLOAT_NOT_ALLOWED, NOT_FINITE, NEGATIVE, PRECISION, "
        "OUT_OF_RANGE; `note` REQUIRED, TOO_LONG), FORBIDDEN (an adjustment by someone who "
        "does not manage the subject: `field` is `subject.staffId` or `subject.team`)."
    )
    async def submit_forecast(
        self,
        info: Info,
        input: Annotated[SubmitForecastInput, strawberry.argument(description="The number.")],
    ) -> SubmitForecastPayload:
        given = ForecastSubmission(
            input.subject.to_input(), input.period.to_input(), input.amount, input.note
        )
        saved = await info.context.deps.forecast.submit(info.context.principal, given)
        return SubmitForecastPayload(submission=SalesForecastSubmissionType.of(saved))
