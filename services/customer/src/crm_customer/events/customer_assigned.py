from __future__ import annotations

from typing import Any

from crm_customer.customers.model import Customer

TYPE = "customer.assigned.v1"


def payload(customer: Customer, previous_owner_id: str | None, actor_id: str) -> dict[str, Any]:
    return {
        "customer": customer.snapshot(),
        "ownerId": customer.owner_id,
        "previousOwnerId": previous_owner_id,
        "team": customer.team,
        "actorId": actor_id,
    }
