"""Webhook use cases: register (idempotent with a key), enable or disable, and record a
delivery's outcome (the failure rule of webhooks/model.py, in the scheduler's transaction)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_kit import idempotency
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, NotFound
from crm_kit.mongo import Session
from crm_notification.shared.clock import to_millis
from crm_notification.webhooks.model import Registration, WebhookSubscription, new_secret
from crm_notification.webhooks.security import UnsafeTarget, check_url
from crm_notification.webhooks.store import WebhookRepository


class WebhookService:
    def __init__(
        self,
        webhooks: WebhookRepository,
        *,
        allow_private: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self._webhooks = webhooks
        self._allow_private = allow_private
        self._clock = clock

    async def register(
        self, admin: Principal, request: Registration, idempotency_key: str | None
    ) -> WebhookSubscription:
        """A new subscription with a fresh signing secret. With an idempotency key, a retry
        returns the first subscription (its secret included) and creates nothing."""
        try:
            await asyncio.to_thread(check_url, request.url, allow_private=self._allow_private)
        except UnsafeTarget as exc:
            raise BadUserInput.single("url", "UNSAFE_URL", str(exc)) from exc
        hook = WebhookSubscription(
            id=idempotency.derived_id("wh_", admin, idempotency_key),
            url=request.url,
            event_types=request.event_types,
            secret=new_secret(),
            enabled=True,
            created_at=to_millis(self._clock()),
            created_by=admin.sub,
            description=request.description,
        )
        if idempotency_key is None:
            await self._webhooks.add(hook)
            return hook
        return await self._add_once(hook)

    async def _add_once(self, hook: WebhookSubscription) -> WebhookSubscription:
        """Insert `hook` (its id derives from the admin and the key) unless it exists; a stored
        one must have been asked for with the same request."""
        first = await self._webhooks.get(hook.id)
        if first is None:
            try:
                await self._webhooks.add(hook)
            except DuplicateKeyError:  # a concurrent retry inserted it first
                first = await self._webhooks.get(hook.id)
        if first is None:
            return hook
        idempotency.ensure_same_request(first.same_request(hook), "webhook subscription", first.id)
        return first

    async def set_enabled(self, id: str, enabled: bool) -> WebhookSubscription:
        hook = await self._webhooks.get(id)
        if hook is None:
            raise NotFound("WebhookSubscription", id)
        hook = hook.switched(enabled)
        await self._webhooks.save(hook)
        return hook


async def record_outcome(
    webhooks: WebhookRepository, id: str, ok: bool, disable_after: int, session: Session
) -> WebhookSubscription | None:
    """Apply one delivery's outcome to its subscription (None when it was deleted)."""
    current = await webhooks.get(id, session=session)
    if current is None:
        return None
    updated = current.after_outcome(ok, disable_after)
    if updated != current:
        await webhooks.save(updated, session=session)
    return updated
