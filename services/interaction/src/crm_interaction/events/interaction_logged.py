"""`interaction.logged.v1`: an interaction was recorded. Content never leaves the service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_interaction.domain import Interaction

TYPE = "interaction.logged.v1"


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def payload(interaction: Interaction) -> dict[str, Any]:
    return {
        "interaction": {
            "id": interaction.id,
            "customerId": interaction.customer_id,
            "channel": str(interaction.channel),
            "direction": str(interaction.direction),
            "subject": interaction.subject,
            "occurredAt": iso(interaction.occurred_at),
            "loggedBy": interaction.logged_by,
        }
    }
