"""`customer.unmerged.v1`: a merge was undone; move back what you moved for it.

The records in `restoredIds` are separate customers again, each as it was before the merge
(`restored`). Everything a consumer re-keyed from one of them to `survivorId` for this
`mergeId` goes back to it; what was filed under the survivor since the merge stays there.
"""

from __future__ import annotations

from typing import Any

from crm_customer.customers.model import Customer

TYPE = "customer.unmerged.v1"


def payload(
    survivor: Customer, restored: list[Customer], merge_id: str, actor_id: str
) -> dict[str, Any]:
    return {
        "customer": survivor.snapshot(),
        "survivorId": survivor.id,
        "restoredIds": [c.id for c in restored],
        "restored": [c.snapshot() for c in restored],
        "mergeId": merge_id,
        "actorId": actor_id,
    }
