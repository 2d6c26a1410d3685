"""WEBHOOK: signed HTTP POST of the CloudEvent to an ADMIN-registered subscription."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson

from crm_notification.channels.signing import (
    DELIVERY_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from crm_notification.deliveries.model import Delivery, DeliveryError
from crm_notification.settings import NotificationSettings
from crm_notification.webhooks.security import UnsafeTarget, check_url
from crm_notification.webhooks.store import WebhookRepository

PERMANENT_STATUSES = frozenset({410})


class WebhookSender:
    def __init__(
        self, settings: NotificationSettings, webhooks: WebhookRepository, http: httpx.AsyncClient
    ) -> None:
        self._s = settings
        self._webhooks = webhooks
        self._http = http

    async def send(self, delivery: Delivery) -> None:
        subscription = await self._webhooks.get(delivery.target)
        if subscription is None:
            raise DeliveryError("webhook subscription was deleted", permanent=True)
        if not subscription.enabled:
            reason = subscription.disabled_reason or "disabled"
            raise DeliveryError(f"webhook subscription {reason}", permanent=True)
        try:
            await asyncio.to_thread(
                check_url, subscription.url, allow_private=self._s.webhook_allow_private
            )
        except UnsafeTarget as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        body = orjson.dumps(delivery.payload)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/cloudevents+json",
            "User-Agent": "crm-webhooks/1",
            DELIVERY_HEADER: delivery.id,
            EVENT_TYPE_HEADER: delivery.event_type,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(subscription.secret, timestamp, body),
        }
        try:
            response = await self._http.post(
                subscription.url,
                content=body,
                headers=headers,
                timeout=self._s.webhook_timeout_seconds,
                follow_redirects=False,
            )
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"timed out after {self._s.webhook_timeout_seconds}s") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(
                f"HTTP {response.status_code}",
                permanent=response.status_code in PERMANENT_STATUSES,
            )
