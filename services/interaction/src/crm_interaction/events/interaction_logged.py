"""`interaction.logged.v1`: an interaction was recorded. Content never leaves the service."""

from __future__ import annotations

from typing import Any

from crm_interaction.interactions.details import staff_ids
from crm_interaction.interactions.mentions import mentioned
from crm_interaction.interactions.model import Interaction
from crm_interaction.shared.clock import iso

TYPE = "interaction.logged.v1"


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
            "outcome": str(interaction.details.outcome) if interaction.details.outcome else None,
            "tags": list(interaction.details.tags),
            "participantStaffIds": staff_ids(interaction.details),
            "attachmentCount": len(interaction.details.attachments),
        },
        # staff ids mentioned with `@id` in the content (the content itself stays here)
        "mentionedStaffIds": mentioned(interaction.content, author=interaction.logged_by),
        "actorId": interaction.logged_by,
    }
