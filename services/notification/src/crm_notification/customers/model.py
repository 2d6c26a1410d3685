"""The projection of each customer's owner and team, fed by `customer.assigned.v1` (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CustomerOwner:
    customer_id: str
    owner_id: str | None
    team: str | None
    version: int


def owner_of_assignment(data: Mapping[str, Any]) -> CustomerOwner | None:
    """The owner and team a `customer.assigned.v1` payload sets (None without a customer id)."""
    customer = data.get("customer") or {}
    customer_id = str(customer.get("id") or "")
    if not customer_id:
        return None
    version = int(customer.get("version") or 0)
    return CustomerOwner(customer_id, data.get("ownerId"), data.get("team"), version)
