"""`purchase.recorded.v1`: a purchase was recorded or its ERP copy changed."""

from __future__ import annotations

from typing import Any

from crm_interaction.purchases.model import Purchase
from crm_interaction.shared.clock import iso

TYPE = "purchase.recorded.v1"


def payload(p: Purchase, created: bool) -> dict[str, Any]:
    return {
        "purchase": {
            "id": p.id,
            "customerId": p.customer_id,
            "orderNumber": p.order_number,
            "amount": str(p.amount),
            "currency": p.currency,
            "status": str(p.status),
            "purchasedAt": iso(p.purchased_at),
            "source": p.source,
            "externalId": p.external_id,
            "itemCount": len(p.items),
            "version": p.version,
        },
        "created": created,
    }
