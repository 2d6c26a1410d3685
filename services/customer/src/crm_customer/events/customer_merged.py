"""`customer.merged.v1`: records were merged into a survivor; re-key them to `survivorId`."""

from __future__ import annotations

from typing import Any

from crm_customer.customers.model import Customer

TYPE = "customer.merged.v1"


def payload(
    survivor: Customer, merged_ids: list[str], merge_id: str, actor_id: str
) -> dict[str, Any]:
    return {
        "customer": survivor.snapshot(),
        "survivorId": survivor.id,
        "mergedIds": merged_ids,
        "mergeId": merge_id,
        "actorId": actor_id,
    }
