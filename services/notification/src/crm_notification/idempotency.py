"""Idempotent client writes for single-document creations: the new document's `_id` is derived
from the caller and the `idempotencyKey`, so a retried request finds what the first one created
(and returns it) instead of creating a second one; the same key with a different request is a
CONFLICT naming the first result. Without a key the id is random, as before."""

from __future__ import annotations

import hashlib
import uuid

from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Conflict

KEY_MAX_CHARS = 200


def new_id(prefix: str, principal: Principal, idempotency_key: str | None, size: int = 20) -> str:
    """`prefix` + hex: random without a key, else a digest of (operation, caller, key)."""
    if idempotency_key is None:
        return f"{prefix}{uuid.uuid4().hex[:size]}"
    if not idempotency_key.strip():
        raise BadUserInput.single("idempotencyKey", "REQUIRED", "idempotencyKey is blank")
    if len(idempotency_key) > KEY_MAX_CHARS:
        raise BadUserInput.single(
            "idempotencyKey",
            "TOO_LONG",
            f"idempotencyKey must be at most {KEY_MAX_CHARS} characters",
        )
    digest = hashlib.sha256(f"{prefix}\n{principal.sub}\n{idempotency_key}".encode()).hexdigest()
    return f"{prefix}{digest[:size]}"


def ensure_same_request(same: bool, what: str, first_id: str) -> None:
    """A replay must ask for what the first request asked for."""
    if not same:
        raise Conflict(
            f"idempotencyKey was already used for a different {what}", conflicting_id=first_id
        )
