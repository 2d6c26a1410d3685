"""Channel adapters: each sends one delivery or raises DeliveryError (permanent or not)."""

from __future__ import annotations

from typing import Protocol

from crm_notification.delivery import Delivery


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> None: ...
