"""`opportunity.stage_changed.v1`: an opportunity entered another stage — a move between open
stages, a win, a loss or a reopen (`kind`). A win or a loss also emits
`opportunity.won.v1` / `opportunity.lost.v1`."""

from __future__ import annotations

from typing import Any

from crm_sales.history.model import StageChange

TYPE = "opportunity.stage_changed.v1"


def payload(snapshot: dict[str, Any], change: StageChange) -> dict[str, Any]:
    return {
        "opportunity": snapshot,
        "kind": str(change.kind),
        "fromStageId": change.from_stage_id,
        "toStageId": change.to_stage_id,
        "pipelineVersion": change.pipeline_version,
        "actorId": change.actor_id,
    }
