"""`opportunity.assigned.v1`: an opportunity got another owner or team (assignOpportunity,
bulkAssignOpportunities, or the owner chosen for a new deal whose writer named none). The
snapshot holds the new owner and team; `previousOwnerId` and `previousTeam` what it had;
`actorId` who assigned it (for a new deal: who opened it). An assignment that changes nothing
publishes nothing.

Two optional fields (absent otherwise): `batch`, the bulk call the change was one of (so a
consumer can treat the call's changes as one: one notice "N opportunities assigned to you"),
and `assignedBy`, why a new deal went to its owner (`reason` RULE or CUSTOMER_OWNER, `ruleId`
when a rule chose)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TYPE = "opportunity.assigned.v1"
BULK_ASSIGN = "BULK_ASSIGN"  # `batch.kind` of a bulkAssignOpportunities call


def payload(
    snapshot: dict[str, Any],
    previous_owner_id: str,
    previous_team: str | None,
    actor_id: str,
    *,
    batch: Mapping[str, Any] | None = None,
    assigned_by: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "opportunity": snapshot,
        "customerId": snapshot["customerId"],
        "ownerId": snapshot["ownerId"],
        "team": snapshot["team"],
        "previousOwnerId": previous_owner_id,
        "previousTeam": previous_team,
        "actorId": actor_id,
    }
    if batch is not None:
        data["batch"] = dict(batch)
    if assigned_by is not None:
        data["assignedBy"] = dict(assigned_by)
    return data
