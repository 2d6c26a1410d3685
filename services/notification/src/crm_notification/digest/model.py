"""The daily digest (pure): users who chose it get ONE email per day, at their `digestAt` in
their time zone, listing the notices of the day instead of one email per notice.

Planning a notice for such a user produces a `DigestItem` and (insert-if-absent) the digest's
single EMAIL delivery, whose id derives from (user, slot): however many notices and replicas,
there is one delivery per user and day, sent once by the lease-based delivery scheduler. The
delivery fires `DIGEST_GRACE` after the slot, so a notice planned just before the slot (its
transaction still open) is in the mail; a notice planned at or after the slot belongs to the
next day's digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import Delivery, delivery_id
from crm_notification.inbox.model import Language, Notification
from crm_notification.shared.clock import to_millis

DIGEST_TYPE = "DIGEST"
DIGEST_EVENT_TYPE = "notification.digest"
DIGEST_GRACE = timedelta(minutes=1)
MAX_ITEMS_SHOWN = 200

_TITLES = {
    Language.ZH_CN: "每日通知摘要（{count} 条）",
    Language.EN: "Your daily digest ({count} notices)",
}
_MORE = {
    Language.ZH_CN: "……另有 {count} 条通知，请在系统中查看。",
    Language.EN: "… and {count} more notices in the app.",
}


@dataclass(frozen=True, slots=True)
class DigestItem:
    id: str
    digest_id: str  # the digest delivery's id
    user_id: str
    notification_type: str
    customer_id: str | None
    event_id: str
    title: str
    body: str
    at: datetime


def slot_key(slot: datetime) -> str:
    return f"digest:{to_millis(slot).isoformat()}"


def digest_delivery(
    user_id: str,
    slot: datetime,
    *,
    language: Language,
    address: str | None,
    now: datetime,
    max_attempts: int,
) -> Delivery:
    """The one EMAIL delivery of `user_id`'s digest for `slot` (the text is composed at send)."""
    key = slot_key(slot)
    return Delivery(
        id=delivery_id(key, user_id, Channel.EMAIL),
        channel=Channel.EMAIL,
        target=user_id,
        event_id=key,
        event_type=DIGEST_EVENT_TYPE,
        customer_id=None,
        created_at=now,
        next_attempt_at=to_millis(slot + DIGEST_GRACE),
        notification_type=DIGEST_TYPE,
        address=address,
        payload={"language": str(language), "slot": to_millis(slot).isoformat()},
        max_attempts=max_attempts,
        deferred_reason="daily digest",
    )


def item_of(digest: Delivery, notice: Notification) -> DigestItem:
    """`notice` (rendered for its recipient) as one item of `digest`; the item's id derives
    from the notice, so a replay adds nothing."""
    return DigestItem(
        id=f"{digest.id}:{notice.id}",
        digest_id=digest.id,
        user_id=digest.target,
        notification_type=str(notice.type),
        customer_id=notice.customer_id,
        event_id=notice.source_event_id,
        title=notice.title,
        body=notice.body,
        at=notice.created_at,
    )


def compose(items: Sequence[DigestItem], language: Language) -> tuple[str, str]:
    """Title and plain-text body of one digest mail, oldest notice first."""
    ordered = sorted(items, key=lambda i: (i.at, i.id))
    shown = ordered[:MAX_ITEMS_SHOWN]
    lines: list[str] = []
    for item in shown:
        lines.append(f"• {item.title}")
        if item.body:
            lines.append(f"  {item.body}")
    if len(ordered) > len(shown):
        lines.append(_MORE[language].format(count=len(ordered) - len(shown)))
    return _TITLES[language].format(count=len(ordered)), "\n".join(lines)
