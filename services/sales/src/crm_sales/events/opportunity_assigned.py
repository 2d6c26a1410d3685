"""`opportunity.assigned.v1`: an opportunity got another owner or team (assignOpportunity,
bulkAssignOpportunities). The snapshot holds the new owner and team; `previousOwnerId` and
`previousTeam` what it had; `actorId` who assigned it. An assignment that changes nothing
publishes nothing."""

from __future__ import annotations

from typing import Any

TYPE = "opportunity.assigned.v1"


def payload(
    snapshot: dict[str, Any], previous_owner_id: str, previous_team: str | None, actor_id: str
) -> dict[str, Any]:
    return {
        "opportunity": snapshot,
        "customerId": snapshot["customerId"],
        "ownerId": snapshot["ownerId"],
        "team": snapshot["team"],
        "previousOwnerId": previous_owner_id,
        "previousTeam": previous_team,
        "actorId": actor_id,
    }
