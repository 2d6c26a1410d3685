"""Digest use cases: the day's notices are kept for the digest mail, composed when it is
sent, and erased with the customer they are about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from crm_kit.mongo import Session
from crm_notification.deliveries.model import Delivery, DeliveryError
from crm_notification.digest.model import DIGEST_TYPE, DigestItem, compose
from crm_notification.digest.store import DigestRepository
from crm_notification.inbox.model import Language


class DigestService:
    def __init__(self, items: DigestRepository) -> None:
        self._items = items

    async def add(self, items: Sequence[DigestItem], session: Session) -> None:
        """Keep the notices planned for digests (each once)."""
        if items:
            await self._items.add_many(items, session=session)

    async def composed(self, delivery: Delivery) -> Delivery:
        """A digest delivery with its mail's text, composed now from its items (any other
        delivery as it is); a digest without items is not sent."""
        if delivery.notification_type != DIGEST_TYPE:
            return delivery
        items = await self._items.of_digest(delivery.id)
        if not items:
            raise DeliveryError("empty digest", permanent=True)
        language = Language(str(delivery.payload.get("language") or Language.ZH_CN))
        title, body = compose(items, language)
        return replace(delivery, title=title, body=body)

    async def erase_customer(self, customer_id: str, session: Session) -> int:
        return await self._items.erase_customer(customer_id, session)
