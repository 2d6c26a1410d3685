from __future__ import annotations

from typing import Any

from crm_customer.customers.model import Customer

TYPE = "customer.created.v1"


def payload(customer: Customer, actor_id: str) -> dict[str, Any]:
    return {"customer": customer.snapshot(), "actorId": actor_id}
