"""`opportunity.updated.v1`: fields of an opportunity changed without a stage move;
`changedFields` names them as the API does (`amount`, `expectedCloseDate`, …)."""

from __future__ import annotations

from typing import Any

TYPE = "opportunity.updated.v1"


def payload(snapshot: dict[str, Any], changed: list[str], actor_id: str) -> dict[str, Any]:
    return {"opportunity": snapshot, "changedFields": changed, "actorId": actor_id}
