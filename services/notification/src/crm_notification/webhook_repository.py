"""MongoDB adapter of webhook subscriptions (registered by ADMIN)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session
from crm_notification.cache import TtlCache

WEBHOOKS = "webhooks"
WEBHOOK_INDEXES = [
    IndexSpec(WEBHOOKS, (IndexModel([("event_types", ASCENDING)], name="event_types"),))
]


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    enabled: bool
    created_at: datetime
    created_by: str
    description: str = ""
    consecutive_failures: int = 0
    disabled_reason: str | None = None

    def after_outcome(self, ok: bool, disable_after: int) -> WebhookSubscription:
        if ok:
            return replace(self, consecutive_failures=0)
        failures = self.consecutive_failures + 1
        if failures >= disable_after:
            return replace(
                self,
                consecutive_failures=failures,
                enabled=False,
                disabled_reason=f"disabled after {failures} consecutive failed attempts",
            )
        return replace(self, consecutive_failures=failures)


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

    async def record_outcome(
        self, id: str, ok: bool, disable_after: int, session: Session
    ) -> WebhookSubscription | None:
        current = await self.get(id, session=session)
        if current is None:
            return None
        updated = current.after_outcome(ok, disable_after)
        if updated != current:
            await self.save(updated, session=session)
        return updated
