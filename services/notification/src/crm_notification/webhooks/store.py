"""MongoDB adapter of webhook subscriptions (registered by ADMIN)."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session
from crm_notification.shared.cache import TtlCache
from crm_notification.webhooks.model import WebhookSubscription

WEBHOOKS = "webhooks"
WEBHOOK_INDEXES = [
    IndexSpec(WEBHOOKS, (IndexModel([("event_types", ASCENDING)], name="event_types"),))
]


def to_document(w: WebhookSubscription) -> Document:
    return {
        "_id": w.id,
        "url": w.url,
        "event_types": list(w.event_types),
        "secret": w.secret,
        "enabled": w.enabled,
        "created_at": w.created_at,
        "created_by": w.created_by,
        "description": w.description,
        "consecutive_failures": w.consecutive_failures,
        "disabled_reason": w.disabled_reason,
    }


def from_document(doc: Document) -> WebhookSubscription:
    return WebhookSubscription(
        id=str(doc["_id"]),
        url=str(doc["url"]),
        event_types=tuple(doc.get("event_types") or ()),
        secret=str(doc["secret"]),
        enabled=bool(doc.get("enabled")),
        created_at=doc["created_at"],
        created_by=str(doc.get("created_by") or ""),
        description=str(doc.get("description") or ""),
        consecutive_failures=int(doc.get("consecutive_failures") or 0),
        disabled_reason=doc.get("disabled_reason"),
    )


class WebhookRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[WEBHOOKS]
        self._enabled: TtlCache[str, list[WebhookSubscription]] = TtlCache()

    async def add(self, w: WebhookSubscription) -> None:
        await self._c.insert_one(to_document(w))
        self._enabled.invalidate()

    async def get(self, id: str, session: Session | None = None) -> WebhookSubscription | None:
        doc = await self._c.find_one({"_id": id}, session=session)
        return from_document(doc) if doc else None

    async def listening_to(self, event_type: str, session: Session) -> list[WebhookSubscription]:
        """Enabled subscriptions to `event_type` (all enabled ones cached for a second)."""

        async def load() -> list[WebhookSubscription]:
            cursor = self._c.find({"enabled": True}, session=session)
            return [from_document(d) async for d in cursor]

        return [w for w in await self._enabled.get("all", load) if event_type in w.event_types]

    async def all(self) -> list[WebhookSubscription]:
        return [from_document(d) async for d in self._c.find({}).sort("created_at", ASCENDING)]

    async def save(self, w: WebhookSubscription, session: Session | None = None) -> None:
        await self._c.replace_one({"_id": w.id}, to_document(w), session=session)
        self._enabled.invalidate()
