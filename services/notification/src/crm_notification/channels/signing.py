"""Webhook signing (pure): what a receiver checks on every POST.

Signature: `X-CRM-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` with the
Unix timestamp in `X-CRM-Timestamp`; receivers recompute it and reject old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-CRM-Signature"
TIMESTAMP_HEADER = "X-CRM-Timestamp"
DELIVERY_HEADER = "X-CRM-Delivery-Id"
EVENT_TYPE_HEADER = "X-CRM-Event-Type"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
