from __future__ import annotations

from typing import Any

from crm_customer.customers.model import Customer

TYPE = "customer.updated.v1"


def payload(
    customer: Customer, changed_fields: list[str], actor_id: str, restored_from: int | None = None
) -> dict[str, Any]:
    # Field names only: the values of contact fields stay in this service.
    data: dict[str, Any] = {
        "customer": customer.snapshot(),
        "changedFields": changed_fields,
        "actorId": actor_id,
    }
    if restored_from is not None:
        data["restoredFromVersion"] = restored_from
    return data
