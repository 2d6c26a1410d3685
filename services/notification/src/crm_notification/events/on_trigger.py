"""Every other consumed type (rule triggers and webhook event types): what to do is data —
rules, preferences, templates and webhook subscriptions decide (rules/service.py)."""

from __future__ import annotations

from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_notification.deps import Deps


async def handle(deps: Deps, event: CloudEvent, tx: Transaction) -> None:
    await deps.triggers.notify(event, tx)
