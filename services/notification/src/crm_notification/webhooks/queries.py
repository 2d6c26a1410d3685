"""The read side of webhook subscriptions."""

from __future__ import annotations

from crm_notification.webhooks.model import WebhookSubscription
from crm_notification.webhooks.store import WebhookRepository


class WebhookQueries:
    def __init__(self, webhooks: WebhookRepository) -> None:
        self._webhooks = webhooks

    async def all(self) -> list[WebhookSubscription]:
        """Every subscription, oldest first."""
        return await self._webhooks.all()
