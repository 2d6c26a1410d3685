"""`ticket.comment_added.v1`: someone commented on a ticket. No comment text: only who wrote
it, its visibility and the staff it mentions."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import ticket
from crm_interaction.shared.clock import iso
from crm_interaction.tickets.model import Comment, Ticket

TYPE = "ticket.comment_added.v1"


def payload(t: Ticket, comment: Comment, mentioned: list[str]) -> dict[str, Any]:
    return {
        "ticket": ticket(t),
        "commentId": comment.id,
        "customerVisible": comment.customer_visible,
        "mentionedStaffIds": mentioned,
        "actorId": comment.author_id,
        "createdAt": iso(comment.created_at),
    }
