from __future__ import annotations

from typing import Any

from crm_notification.deliveries.model import Delivery
from crm_notification.inbox.model import Notification

TYPE = "notification.delivered.v1"


def payload(n: Notification) -> dict[str, Any]:
    """An in-app notification reached its recipient's inbox."""
    return {
        "notification": {
            "id": n.id,
            "recipientId": n.recipient_id,
            "type": str(n.type),
            "channel": str(n.channel),
            "customerId": n.customer_id,
        }
    }


def delivery_payload(d: Delivery) -> dict[str, Any]:
    """An email, SMS or webhook delivery succeeded (same shape, plus the delivery log entry)."""
    return {
        "notification": {
            "id": d.notification_id or d.id,
            "recipientId": d.target,
            "type": d.notification_type,
            "channel": str(d.channel),
            "customerId": d.customer_id,
        },
        "deliveryId": d.id,
        "attempts": d.attempts,
    }
