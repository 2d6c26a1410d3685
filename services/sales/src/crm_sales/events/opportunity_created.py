"""`opportunity.created.v1`: an opportunity was opened (in its first stage, or the one its
writer named)."""

from __future__ import annotations

from typing import Any

TYPE = "opportunity.created.v1"


def payload(snapshot: dict[str, Any], actor_id: str) -> dict[str, Any]:
    return {"opportunity": snapshot, "actorId": actor_id}
