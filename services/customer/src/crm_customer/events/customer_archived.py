"""`customer.archived.v1`: the customer was archived (soft-deleted).

Bringing it back is a `customer.updated.v1` with changedFields ["archived"].
"""

from __future__ import annotations

from typing import Any

from crm_customer.customers.model import Customer

TYPE = "customer.archived.v1"


def payload(customer: Customer, actor_id: str) -> dict[str, Any]:
    return {"customer": customer.snapshot(), "archived": customer.archived, "actorId": actor_id}
