"""GraphQL of the pipeline at a past instant (`pipelineAsOf`) and of the waterfall between two
instants (`pipelineWaterfall`), replayed from the recorded history: inputs and checks in,
`PointInTimeQueries` across, the types of `types` out.

Whose deals count is judged on each deal as it was at the instant (its owner and team then),
by the caller's opportunity list scope: SALES their own (and their team's when team sharing
is on), MANAGER their team's, ADMIN and ANALYST all — so a past board reads as it read then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from crm_kit import policy
from crm_kit.auth import Principal
from crm_kit.errors import FieldError
from crm_kit.policy import Action
from crm_sales import access
from crm_sales.graphql import loaders
from crm_sales.graphql.common import DateRangeInput, date_bounds
from crm_sales.graphql.context import Info
from crm_sales.pipelines.model import PipelineError
from crm_sales.point_in_time.model import Reach, Selection, check_instant, check_span
from crm_sales.point_in_time.types import PipelineAsOf, PipelineWaterfall
from crm_sales.shared.clock import to_storage_time

ERRORS = (
    "`pipelineId` UNKNOWN_PIPELINE; `filter.ownerId`, `filter.team` TOO_LONG; "
    "`closeWithin.to` OUT_OF_RANGE (before `closeWithin.from`)"
)


@strawberry.input(
    description="Which deals a point-in-time read counts, each judged as it was at the instant "
    "(its owner and team then); every open deal of the pipeline the caller's list scope "
    "reached when omitted."
)
class PointInTimeFilterInput:
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only the deals this staff member owned at the instant."
    )
    team: str | None = strawberry.field(
        default=None, description="Only the deals of this team at the instant."
    )


PipelineArgument = Annotated[strawberry.ID, strawberry.argument(description="The pipeline.")]
FilterArgument = Annotated[
    PointInTimeFilterInput | None,
    strawberry.argument(
        description="Whose deals; every deal within the caller's scope if omitted."
    ),
]
CloseWithin = Annotated[
    DateRangeInput | None,
    strawberry.argument(
        description="A forecast period: only deals expected to close within it (both days "
        "included; a deal without an expected close date is outside any period), judged on "
        "the date each had at the instant. Every open deal when omitted."
    ),
]


def _reach(principal: Principal) -> Reach:
    """The caller's list scope as a rule on an owner and team (`access.condition`'s rule)."""
    granted = access.scope(principal, Action.LIST)

    def reaches(owner_id: str, team: str | None) -> bool:
        return policy.in_scope(principal, granted, owner_id, team)

    return reaches


def _selection(
    info: Info, filter: PointInTimeFilterInput | None, close_within: DateRangeInput | None
) -> Selection:
    given = filter or PointInTimeFilterInput()
    policy.check_sizes(
        {
            f"filter.{name}": value
            for name, value in (("ownerId", given.owner_id), ("team", given.team))
            if value is not None
        }
    )
    close_from, close_to = date_bounds(close_within, "closeWithin")
    return Selection(
        owner_id=str(given.owner_id) if given.owner_id else None,
        team=given.team or None,
        close_from=close_from,
        close_to=close_to,
        reach=_reach(info.context.principal),
    )


def _unknown(pipeline_id: str) -> PipelineError:
    message = f"no pipeline {pipeline_id}"
    return PipelineError([FieldError("pipelineId", "UNKNOWN_PIPELINE", message)], message)


@strawberry.type
class PointInTimeQuery:
    @strawberry.field(
        description="The open pipeline exactly as it stood at a past instant, replayed from the "
        "recorded stage and field history (not from snapshots): per open stage of the pipeline "
        "version then in effect, the count and sums of the deals open at that instant, in the "
        "base currency at the rates in effect on its (UTC) date — what `pipelineBoard` showed "
        "for those stages then. Deals count by their owner and team at the instant within the "
        "caller's list scope (SALES their own, MANAGER their team's, ADMIN and ANALYST all); "
        "FORBIDDEN for other roles. Null with the error on failure. Errors: BAD_USER_INPUT "
        f"(`asOf` OUT_OF_RANGE: in the future; {ERRORS}), FORBIDDEN."
    )
    async def pipeline_as_of(
        self,
        info: Info,
        pipeline_id: PipelineArgument,
        as_of: Annotated[
            datetime,
            strawberry.argument(
                description="The instant (RFC 3339; without an offset read as UTC), read to the "
                "millisecond as history is stored; not in the future."
            ),
        ],
        filter: FilterArgument = None,
        close_within: CloseWithin = None,
    ) -> PipelineAsOf | None:
        condition = access.condition(info.context.principal)
        deps = info.context.deps
        at = to_storage_time(as_of)
        check_instant(at, deps.clock(), field="asOf")
        selection = _selection(info, filter, close_within)
        rates = await loaders.rate_table(info)
        view = await deps.point_in_time.as_of(str(pipeline_id), at, selection, condition, rates)
        if view is None:
            raise _unknown(str(pipeline_id))
        return PipelineAsOf.of(view, rates.base)

    @strawberry.field(
        description="Why the open pipeline's total moved between two past instants, replayed "
        "from the recorded history: the total at each (open deals in scope, each valued in the "
        "base currency at the rates of its instant's date and rounded to the minor unit) and "
        "the bars between them, which sum exactly to the difference — opened, pulled in, "
        "assigned in, amount up, amount down, currency effect (rate changes apart from deal "
        "changes), pushed out, assigned out, won, lost — each with its deals. Deals count by "
        "their owner and team at each instant within the caller's list scope (SALES their "
        "own, MANAGER their team's, ADMIN and ANALYST all); FORBIDDEN for other roles. Null "
        "with the error on failure. Errors: BAD_USER_INPUT (`to` OUT_OF_RANGE: not after "
        f"`from`, or in the future; {ERRORS}), FORBIDDEN."
    )
    async def pipeline_waterfall(  # noqa: PLR0917 - the field's arguments
        self,
        info: Info,
        pipeline_id: PipelineArgument,
        from_: Annotated[
            datetime,
            strawberry.argument(
                name="from",
                description="The earlier instant (RFC 3339; without an offset read as UTC), "
                "read to the millisecond.",
            ),
        ],
        to: Annotated[
            datetime,
            strawberry.argument(
                description="The later instant, after `from` and not in the future (RFC 3339; "
                "without an offset read as UTC), read to the millisecond."
            ),
        ],
        close_within: CloseWithin = None,
        filter: FilterArgument = None,
    ) -> PipelineWaterfall | None:
        condition = access.condition(info.context.principal)
        deps = info.context.deps
        span = (to_storage_time(from_), to_storage_time(to))
        check_span(*span, deps.clock())
        selection = _selection(info, filter, close_within)
        rates = await loaders.rate_table(info)
        found = await deps.point_in_time.waterfall(
            str(pipeline_id), span, selection, condition, rates
        )
        if found is None:
            raise _unknown(str(pipeline_id))
        return PipelineWaterfall.of(span, found, rates.base)
