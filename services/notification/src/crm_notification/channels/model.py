"""The channels (pure): what a notice can go out on, and who a channel reaches."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    IN_APP = "IN_APP"
    EMAIL = "EMAIL"
    WEBHOOK = "WEBHOOK"
    SMS = "SMS"


PERSONAL_CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.SMS)
"""Channels that reach one person; WEBHOOK goes to ADMIN-registered subscriptions instead."""

CUSTOMER_TARGET = "customer:"
"""The target of a customer-facing mail is `customer:<id>`; a staff member's is their user id."""


def customer_target(customer_id: str) -> str:
    return f"{CUSTOMER_TARGET}{customer_id}"
