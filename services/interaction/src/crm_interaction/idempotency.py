"""Idempotent client writes: a retried request with the same `idempotencyKey` returns the first
result and creates nothing; the same key sent with a different request is a CONFLICT naming the
first result.

The key is scoped to the caller (two users may pick the same key) and to the operation. A
guard document (`_id` = hashed operation, caller and key) is written in the same transaction as
what the request creates, together with a fingerprint of the request, so the guard exists iff
the write committed. A request first looks its guard up; two concurrent first attempts race on
the guard's `_id`, the loser's transaction fails with a duplicate key and it answers with the
winner's result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_interaction.domain import IDEMPOTENCY_KEY_MAX_CHARS
from crm_interaction.repository import IdempotencyGuards
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Conflict, FieldError, NotFound
from crm_kit.mongo import Session


@dataclass(frozen=True, slots=True)
class Key:
    """One request's guard: its id and the fingerprint of what was asked."""

    guard_id: str
    fingerprint: str


def fingerprint(*parts: object) -> str:
    """Stable digest of a request's content (frozen dataclasses, enums, datetimes: `repr`)."""
    return hashlib.sha256("\x1f".join(repr(p) for p in parts).encode()).hexdigest()


def key_for(
    operation: str, principal: Principal, idempotency_key: str | None, *request: object
) -> Key | None:
    """The guard for this request, None without a key; BAD_USER_INPUT for a malformed key."""
    if idempotency_key is None:
        return None
    if not idempotency_key.strip():
        raise BadUserInput([FieldError("idempotencyKey", "REQUIRED", "idempotencyKey is blank")])
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX_CHARS:
        raise BadUserInput(
            [
                FieldError(
                    "idempotencyKey",
                    "TOO_LONG",
                    f"idempotencyKey must be at most {IDEMPOTENCY_KEY_MAX_CHARS} characters",
                )
            ]
        )
    digest = hashlib.sha256(f"{principal.sub}\n{idempotency_key}".encode()).hexdigest()
    return Key(f"{operation}:{digest}", fingerprint(operation, *request))


async def claim(
    guards: IdempotencyGuards, key: Key | None, target_id: str, at: datetime, session: Session
) -> None:
    """Record, inside the write's transaction, that this key produced `target_id`."""
    if key is not None:
        await guards.claim(key.guard_id, target_id, key.fingerprint, at, session)


async def _first_result[T](
    guards: IdempotencyGuards,
    key: Key,
    what: str,
    load: Callable[[str], Awaitable[T | None]],
) -> T | None:
    guard = await guards.find(key.guard_id)
    if guard is None:
        return None
    target = str(guard["targetId"])
    if guard.get("fingerprint") != key.fingerprint:
        raise Conflict(
            f"idempotencyKey was already used for a different {what}", conflicting_id=target
        )
    found = await load(target)
    if found is None:  # the guard commits with its target: only a later deletion gets here
        raise NotFound(what, target)
    return found


async def once[T](
    guards: IdempotencyGuards,
    key: Key | None,
    what: str,
    load: Callable[[str], Awaitable[T | None]],
    write: Callable[[], Awaitable[T]],
) -> T:
    """`write()` unless this key already produced a result (then `load` it)."""
    if key is not None and (first := await _first_result(guards, key, what, load)) is not None:
        return first
    try:
        return await write()
    except DuplicateKeyError:
        # A concurrent request with the same key committed first: answer with its result.
        if key is not None and (first := await _first_result(guards, key, what, load)):
            return first
        raise
