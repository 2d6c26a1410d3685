"""Idempotency keys (pure, no database): their limits, the guard a request gets from its key,
ids derived from a key, and the check that a replay asks for what the first request asked.
The guard documents themselves are `crm_kit.idempotency`."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Conflict

KEY_MAX_CHARS = 200


def validate_key(idempotency_key: str) -> None:
    """BAD_USER_INPUT (REQUIRED / TOO_LONG on `idempotencyKey`) for a malformed key."""
    if not idempotency_key.strip():
        raise BadUserInput.single("idempotencyKey", "REQUIRED", "idempotencyKey is blank")
    if len(idempotency_key) > KEY_MAX_CHARS:
        raise BadUserInput.single(
            "idempotencyKey",
            "TOO_LONG",
            f"idempotencyKey must be at most {KEY_MAX_CHARS} characters",
        )


def fingerprint(*parts: object) -> str:
    """Stable digest of a request's content (frozen dataclasses, enums, datetimes: `repr`)."""
    return hashlib.sha256("\x1f".join(repr(p) for p in parts).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Key:
    """One request's guard: its id and the fingerprint of what was asked."""

    guard_id: str
    fingerprint: str


def key_for(
    operation: str, principal: Principal, idempotency_key: str | None, *request: object
) -> Key | None:
    """The guard for this request, None without a key; BAD_USER_INPUT for a malformed key."""
    if idempotency_key is None:
        return None
    validate_key(idempotency_key)
    digest = hashlib.sha256(f"{principal.sub}\n{idempotency_key}".encode()).hexdigest()
    return Key(f"{operation}:{digest}", fingerprint(operation, *request))


def derived_id(
    prefix: str, principal: Principal, idempotency_key: str | None, size: int = 20
) -> str:
    """`prefix` + hex: random without a key, else a digest of (prefix, caller, key)."""
    if idempotency_key is None:
        return f"{prefix}{uuid.uuid4().hex[:size]}"
    validate_key(idempotency_key)
    digest = hashlib.sha256(f"{prefix}\n{principal.sub}\n{idempotency_key}".encode()).hexdigest()
    return f"{prefix}{digest[:size]}"


def ensure_same_request(same: bool, what: str, first_id: str) -> None:
    """A replay must ask for what the first request asked for: else CONFLICT naming the first."""
    if not same:
        raise Conflict(
            f"idempotencyKey was already used for a different {what}",
            conflicting_id=first_id,
            message_key="IDEMPOTENCY_KEY_REUSED",
        )
