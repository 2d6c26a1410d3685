"""`customer.erased.v1`: personal data was erased on request; delete what you hold for it.

The record stays as an archived tombstone (same id) so references do not dangle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

TYPE = "customer.erased.v1"


def payload(customer_id: str, erased_at: datetime, actor_id: str) -> dict[str, Any]:
    return {"customerId": customer_id, "erasedAt": erased_at.isoformat(), "actorId": actor_id}
