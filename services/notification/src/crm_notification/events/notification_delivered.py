from __future__ import annotations

from typing import Any

from crm_notification.domain import Notification

TYPE = "notification.delivered.v1"


def payload(n: Notification) -> dict[str, Any]:
    return {
        "notification": {
            "id": n.id,
            "recipientId": n.recipient_id,
            "type": str(n.type),
            "channel": str(n.channel),
            "customerId": n.customer_id,
        }
    }
