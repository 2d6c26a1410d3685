"""Accepting a quote and winning its deal in one transaction.

The deal is moved to a won stage by the opportunity use case itself
(`OpportunityService.move`: the stage gate, the won reason from the ADMIN's list, history,
`opportunity.won.v1`, the audit entry), not by a copy of it. The move runs in its own unit of
work and takes an `after` step that runs inside that same transaction once the deal is
written: the quote's acceptance is that step, so the acceptance and the won move commit
together or not at all — a refused move (a gate that is not met, a reason not in the list)
leaves the quote SENT and the deal as it was, and a refused acceptance undoes the move.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, FieldError
from crm_kit.uow import Transaction
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.opportunities.requests import MoveRequest
from crm_sales.opportunities.service import OpportunityService
from crm_sales.opportunities.values import Opportunity
from crm_sales.pipelines.model import StageKind
from crm_sales.pipelines.store import PipelineRepository
from crm_sales.quotes.terms import QuoteError

type Accept = Callable[[Transaction], Awaitable[None]]

# How the won move's field errors are named in acceptQuote's input; the opportunity's own
# fields the won stage still needs are named `opportunity.<field>`.
_ACCEPT_FIELDS = {"reason": "wonReason", "note": "wonNote", "stageId": "wonStageId"}


@dataclass(frozen=True, slots=True)
class WinRequest:
    """acceptQuote's won move: the won stage (None: the pipeline's only one), the reason from
    the ADMIN's list and an optional note."""

    stage_id: str | None = None
    reason: str | None = None
    note: str | None = None


def _renamed(refused: BadUserInput) -> BadUserInput:
    errors: list[FieldError] = []
    for error in refused.field_errors:
        field, code, message = error.field, error.code, error.message
        errors.append(FieldError(_ACCEPT_FIELDS.get(field, f"opportunity.{field}"), code, message))
    return type(refused)(errors, refused.message)


class DealWinner:
    """Moves a deal to won through the opportunity use case, with a quote's acceptance in the
    same transaction."""

    def __init__(self, pipelines: PipelineRepository, opportunities: OpportunityService) -> None:
        self._pipelines = pipelines
        self._opportunities = opportunities

    async def win(
        self, principal: Principal, deal: Opportunity, request: WinRequest, accept: Accept
    ) -> None:
        """The won move, then `accept` in its transaction (the move's refusals named as
        acceptQuote's fields; the acceptance's own as they are)."""
        stage_id = await self._won_stage(deal, request.stage_id)
        move = MoveRequest(deal.id, stage_id, reason=request.reason, note=request.note)

        async def after(tx: Transaction, _won: OpportunityRecord) -> None:
            await accept(tx)

        try:
            await self._opportunities.move(principal, move, after=after)
        except QuoteError:
            raise
        except BadUserInput as refused:
            raise _renamed(refused) from None

    async def _won_stage(self, deal: Opportunity, requested: str | None) -> str:
        pipeline = await self._pipelines.get(deal.pipeline_id)
        stages = pipeline.stages if pipeline is not None else ()
        if requested is not None:
            found = next((s for s in stages if s.id == requested), None)
            if found is None or found.kind is not StageKind.WON:
                raise QuoteError.single(
                    "wonStageId", "NOT_WON_STAGE", f"{requested} is not a won stage of the deal"
                )
            return found.id
        won = [s.id for s in stages if s.kind is StageKind.WON]
        if len(won) != 1:
            raise QuoteError.single(
                "wonStageId", "REQUIRED", f"name the won stage: the pipeline has {len(won)}"
            )
        return won[0]
