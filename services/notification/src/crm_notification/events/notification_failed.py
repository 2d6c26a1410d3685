from __future__ import annotations

from typing import Any

from crm_notification.deliveries.model import Delivery

TYPE = "notification.failed.v1"


def payload(d: Delivery) -> dict[str, Any]:
    """A delivery was given up (DEAD): who, what, on which channel, why, after how many tries."""
    return {
        "notification": {
            "id": d.notification_id or d.id,
            "recipientId": d.target,
            "type": d.notification_type,
            "channel": str(d.channel),
            "customerId": d.customer_id,
        },
        "deliveryId": d.id,
        "status": str(d.status),
        "attempts": d.attempts,
        "error": d.last_error,
    }
