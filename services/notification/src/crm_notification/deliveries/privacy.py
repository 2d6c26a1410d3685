"""Masking of contact data (pure). Raw email addresses and phone numbers are needed only at
the moment of sending; the delivery log, events and error texts carry masked values."""

from __future__ import annotations

import re

from crm_kit import personal
from crm_notification.channels.model import Channel

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d -]{6,}\d(?![\w])")


def mask_email(address: str) -> str:
    """`wang.wei@example.cn` → `w***@example.cn` (crm_kit's mask); `***` without an `@`."""
    address = address.strip()
    return personal.mask_email(address) if "@" in address else "***"


def mask_phone(number: str) -> str:
    """`+8613800138000` → `+86*******8000`: country code (if any) and the last four digits.
    (Stricter than crm_kit.personal.mask_phone, which keeps the first three national digits.)"""
    digits = re.sub(r"[^\d+]", "", number)
    if len(digits) <= 4:
        return "***"
    head = digits[:3] if digits.startswith("+") else ""
    return f"{head}{'*' * (len(digits) - len(head) - 4)}{digits[-4:]}"


def masked(channel: Channel, address: str | None) -> str | None:
    """What the delivery log keeps of a destination: masked for EMAIL/SMS, the webhook URL
    (ADMIN configuration, not personal data) as is."""
    if address is None:
        return None
    if channel is Channel.EMAIL:
        return mask_email(address)
    if channel is Channel.SMS:
        return mask_phone(address)
    return address


def scrub(text: str) -> str:
    """Mask every email address and phone number in a free text (e.g. an SMTP error)."""
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
