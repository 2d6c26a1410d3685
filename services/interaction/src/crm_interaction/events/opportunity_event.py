"""Reading the consumed opportunity events (the sales service owns their shapes).

`opportunity.won.v1` and `opportunity.lost.v1` carry the opportunity's snapshot under
`data.opportunity` (`id`, `customerId`, `name`, `ownerId`, `amount: {amount, currency}` or
null, `version`, …), the customer again as `data.customerId` (the subject too) and the closing
time as `data.closedAt`. `opportunity.merged.v1` carries the survivor's snapshot under
`data.opportunity` and the merged deal's under `data.merged`, their ids again as
`data.survivorId` and `data.mergedId`. Nothing else is read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_interaction.events.customer_event import MalformedEvent
from crm_interaction.timeline.model import OpportunityClosing, OpportunityMerge
from crm_kit.events import CloudEvent


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _closed_at(event: CloudEvent) -> datetime:
    raw = event.data.get("closedAt")
    if not isinstance(raw, str):
        return event.time
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedEvent(f"{event.type} {event.id}: closedAt is not ISO-8601") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _snapshot(event: CloudEvent, key: str = "opportunity") -> dict[str, Any]:
    snapshot: Any = event.data.get(key)
    if not isinstance(snapshot, dict) or not snapshot.get("id"):
        raise MalformedEvent(f"{event.type} {event.id} has no {key} snapshot")
    version = snapshot.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MalformedEvent(f"{event.type} {event.id} lacks the opportunity's integer version")
    return snapshot


def closing(event: CloudEvent, *, won: bool) -> OpportunityClosing:
    """The won or lost opportunity the event reports."""
    snapshot = _snapshot(event)
    customer = event.data.get("customerId") or snapshot.get("customerId") or event.subject
    if not customer:
        raise MalformedEvent(f"{event.type} {event.id} names no customer")
    money: Any = snapshot.get("amount")
    amount = money if isinstance(money, dict) else {}
    return OpportunityClosing(
        opportunity_id=str(snapshot["id"]),
        customer_id=str(customer),
        name=str(snapshot.get("name") or ""),
        won=won,
        amount=_text(amount.get("amount")),
        currency=_text(amount.get("currency")),
        owner_id=_text(snapshot.get("ownerId")),
        closed_at=_closed_at(event),
        version=int(snapshot["version"]),
    )


def merge(event: CloudEvent) -> OpportunityMerge:
    """The merge the event reports: which deal stays (at which version) and which went."""
    survivor = _snapshot(event)
    survivor_id = str(event.data.get("survivorId") or survivor["id"])
    merged_id = str(event.data.get("mergedId") or _snapshot(event, "merged")["id"])
    if survivor_id == merged_id or survivor_id != str(survivor["id"]):
        raise MalformedEvent(f"{event.type} {event.id} names no other deal as the survivor")
    return OpportunityMerge(survivor_id, int(survivor["version"]), merged_id)
