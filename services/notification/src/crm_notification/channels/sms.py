"""SMS: a provider interface and the logging provider used in development."""

from __future__ import annotations

import logging
from typing import Protocol

from crm_notification.deliveries.model import Delivery, DeliveryError

_log = logging.getLogger("crm_notification.sms")


class SmsProvider(Protocol):
    async def send_sms(self, phone: str, text: str, reference: str) -> None: ...


class LoggingSmsProvider:
    """Writes the message to the log instead of sending it (the number is masked)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send_sms(self, phone: str, text: str, reference: str) -> None:
        masked = f"***{phone[-4:]}" if len(phone) >= 4 else "***"
        _log.info(
            "sms", extra={"fields": {"to": masked, "reference": reference, "chars": len(text)}}
        )
        self.sent.append((phone, text, reference))
        del self.sent[:-100]


class SmsSender:
    def __init__(self, provider: SmsProvider) -> None:
        self._provider = provider

    async def send(self, delivery: Delivery) -> None:
        if not delivery.address:
            raise DeliveryError(f"no phone number for user {delivery.target}", permanent=True)
        await self._provider.send_sms(
            delivery.address, f"{delivery.title}\n{delivery.body}", delivery.id
        )
