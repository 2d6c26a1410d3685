"""Deliveries (pure): one message to one destination on one channel, with its attempts.

Status: PENDING (no attempt yet, due at `next_attempt_at`), FAILED (last attempt failed, the
next one is scheduled), SENT, DEAD (given up, with the reason). Retries back off
exponentially with jitter.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from crm_kit.errors import BadUserInput
from crm_notification.channels.model import Channel
from crm_notification.shared.clock import to_millis


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    DEAD = "DEAD"


DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class DeliveryError(Exception):
    """A send failed; `permanent` ones are not retried (bad address, disabled target)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    """A channel adapter (channels/): sends one delivery or raises DeliveryError."""

    async def send(self, delivery: Delivery) -> None: ...


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime
    duration_ms: int
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    channel: Channel
    target: str  # user id (personal channels) or webhook subscription id
    event_id: str
    event_type: str
    customer_id: str | None
    created_at: datetime
    next_attempt_at: datetime
    notification_id: str | None = None
    notification_type: str = ""  # the NotificationType, or the event type for webhooks
    address: str | None = None  # email / phone / URL, resolved when planned
    title: str = ""
    body: str = ""
    payload: dict[str, Any] = field(default_factory=dict)  # webhook body (the CloudEvent)
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    max_attempts: int = 5
    last_error: str | None = None
    history: tuple[Attempt, ...] = ()
    sent_at: datetime | None = None
    deferred_reason: str | None = None
    replay_of: str | None = None


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which deliveries of the log: in one of `statuses`, on one of `channels` (any when
    empty), for exactly `target`, created within `created` (a MongoDB condition on
    `created_at` from `crm_kit.listing.range_condition`); None bounds nothing."""

    statuses: tuple[DeliveryStatus, ...] = ()
    channels: tuple[Channel, ...] = ()
    target: str | None = None
    created: Mapping[str, datetime] | None = None


def delivery_id(event_id: str, target: str, channel: Channel) -> str:
    digest = hashlib.sha256(f"{event_id}\x1f{target}\x1f{channel}".encode()).hexdigest()
    return f"dlv_{digest[:32]}"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    max_attempts: int = 12  # with the defaults: retries over about 12 hours

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> timedelta:
        """Delay before attempt `attempt + 1`: base·2^(attempt-1), capped, with equal jitter
        (half fixed, half random), so a burst of failures does not retry in lockstep."""
        raw = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return timedelta(seconds=raw / 2 + rand() * raw / 2)


def succeeded(d: Delivery, at: datetime, duration_ms: int) -> Delivery:
    return replace(
        d,
        status=DeliveryStatus.SENT,
        attempts=d.attempts + 1,
        sent_at=to_millis(at),
        last_error=None,
        history=(*d.history, Attempt(to_millis(at), duration_ms, ok=True)),
    )


def failed(
    d: Delivery,
    error: DeliveryError,
    *,
    at: datetime,
    duration_ms: int,
    policy: RetryPolicy,
    rand: Callable[[], float] = random.random,
) -> Delivery:
    attempts = d.attempts + 1
    message = str(error)[:500]
    history = (*d.history, Attempt(to_millis(at), duration_ms, ok=False, error=message))
    if error.permanent or attempts >= d.max_attempts:
        return replace(
            d, status=DeliveryStatus.DEAD, attempts=attempts, last_error=message, history=history
        )
    return replace(
        d,
        status=DeliveryStatus.FAILED,
        attempts=attempts,
        last_error=message,
        history=history,
        next_attempt_at=to_millis(at + policy.delay(attempts, rand)),
    )


def dead(d: Delivery, reason: str) -> Delivery:
    return replace(d, status=DeliveryStatus.DEAD, last_error=reason[:500])


FINISHED = (DeliveryStatus.SENT, DeliveryStatus.DEAD)


def replay_of(original: Delivery, new_id: str, now: datetime) -> Delivery:
    """A finished (SENT or DEAD) delivery sent again as a new one, due now; its log keeps
    `replay_of`. BAD_USER_INPUT for a delivery that is still pending or being retried."""
    if original.status not in FINISHED:
        raise BadUserInput.single(
            "id", "NOT_FINISHED", "Only SENT or DEAD deliveries can be replayed"
        )
    now = to_millis(now)
    return replace(
        original,
        id=new_id,
        status=DeliveryStatus.PENDING,
        attempts=0,
        max_attempts=max(original.max_attempts, 1),
        history=(),
        last_error=None,
        sent_at=None,
        created_at=now,
        next_attempt_at=now,
        deferred_reason=None,
        replay_of=original.id,
    )
