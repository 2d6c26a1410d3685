"""Deliveries, webhooks and live push (pure, with fakes): retry backoff and dead letters, signed
webhooks, the SSRF guard, self-disabling subscriptions, the in-app hub."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from crm_notification.channels.model import Channel
from crm_notification.channels.signing import sign, verify
from crm_notification.deliveries.model import (
    Delivery,
    DeliveryError,
    DeliveryStatus,
    RetryPolicy,
    failed,
    succeeded,
)
from crm_notification.inbox.live import LiveHub, received
from crm_notification.inbox.model import Language, Notification, NotificationType
from crm_notification.rules.defaults import DEFAULT_RULES
from crm_notification.webhooks.model import WebhookSubscription
from crm_notification.webhooks.security import UnsafeTarget, check_url

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Asia/Shanghai
RULES = {r.id: r for r in DEFAULT_RULES}


def delivery(max_attempts: int = 3) -> Delivery:
    return Delivery(
        id="d1",
        channel=Channel.WEBHOOK,
        target="wh1",
        event_id="e",
        event_type="task.due.v1",
        customer_id=None,
        created_at=NOW,
        next_attempt_at=NOW,
        max_attempts=max_attempts,
    )


def test_backoff_is_exponential_with_bounded_jitter() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=100)
    assert policy.delay(1, lambda: 0.0) == timedelta(seconds=5)
    assert policy.delay(1, lambda: 1.0) == timedelta(seconds=10)
    assert policy.delay(3, lambda: 1.0) == timedelta(seconds=40)
    assert policy.delay(10, lambda: 1.0) == timedelta(seconds=100)  # capped


def test_failures_retry_then_die_and_permanent_ones_die_at_once() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=100)
    first = failed(
        delivery(),
        DeliveryError("HTTP 500"),
        at=NOW,
        duration_ms=5,
        policy=policy,
        rand=lambda: 1.0,
    )
    assert first.status is DeliveryStatus.FAILED and first.attempts == 1
    assert first.next_attempt_at == NOW + timedelta(seconds=10)
    second = failed(first, DeliveryError("HTTP 500"), at=NOW, duration_ms=5, policy=policy)
    third = failed(second, DeliveryError("timeout"), at=NOW, duration_ms=5, policy=policy)
    assert third.status is DeliveryStatus.DEAD and third.attempts == 3
    assert [a.error for a in third.history] == ["HTTP 500", "HTTP 500", "timeout"]
    gone = failed(
        delivery(), DeliveryError("410", permanent=True), at=NOW, duration_ms=1, policy=policy
    )
    assert gone.status is DeliveryStatus.DEAD and gone.attempts == 1
    ok = succeeded(first, NOW, 7)
    assert ok.status is DeliveryStatus.SENT and ok.attempts == 2 and ok.last_error is None


# -- webhooks -------------------------------------------------------------------------------


def test_signature_covers_timestamp_and_body() -> None:
    signature = sign("secret", 1700000000, b'{"a":1}')
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify("secret", 1700000000, b'{"a":1}', signature)
    assert not verify("secret", 1700000001, b'{"a":1}', signature)
    assert not verify("secret", 1700000000, b'{"a":2}', signature)
    assert not verify("other", 1700000000, b'{"a":1}', signature)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.1.1",
        "172.16.0.5",
        "169.254.169.254",
        "::1",
        "::ffff:10.0.0.1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_ssrf_guard_refuses_private_targets(address: str) -> None:
    with pytest.raises(UnsafeTarget):
        check_url(
            "https://hooks.example.com/x", allow_private=False, resolver=lambda h, p: [address]
        )


def test_ssrf_guard_allows_public_targets_and_private_ones_when_allowed() -> None:
    check_url(
        "https://hooks.example.com/x", allow_private=False, resolver=lambda h, p: ["93.184.216.34"]
    )
    check_url("http://127.0.0.1:9000/x", allow_private=True, resolver=lambda h, p: ["127.0.0.1"])
    for bad in ("ftp://example.com/", "http:///nohost", "https://user:pw@example.com/"):
        with pytest.raises(UnsafeTarget):
            check_url(bad, allow_private=True)


def test_webhook_subscription_disables_itself_after_repeated_failures() -> None:
    hook = WebhookSubscription("wh", "https://x", ("task.due.v1",), "s", True, NOW, "a")
    for _ in range(2):
        hook = hook.after_outcome(ok=False, disable_after=3)
    assert hook.enabled and hook.consecutive_failures == 2
    assert hook.after_outcome(ok=True, disable_after=3).consecutive_failures == 0
    hook = hook.after_outcome(ok=False, disable_after=3)
    assert (
        not hook.enabled and hook.disabled_reason == "disabled after 3 consecutive failed attempts"
    )


# -- live fan-out ---------------------------------------------------------------------------


async def test_live_hub_delivers_in_app_notices_to_their_recipient_only() -> None:
    hub = LiveHub()
    async with hub.subscribe("u1") as mine, hub.subscribe("u2") as theirs:
        body = b'{"data":{"notification":{"id":"n1","recipientId":"u1","channel":"IN_APP"}}}'
        hub.on_message_body(body)
        hub.on_message_body(
            b'{"data":{"notification":{"id":"n2","recipientId":"u1","channel":"EMAIL"}}}'
        )
        hub.on_message_body(b"not json")
        assert await asyncio.wait_for(mine.get(), 1) == "n1"
        assert mine.empty() and theirs.empty()
    assert hub.publish("u1", "n3") == 0  # unsubscribed on exit


def notice(id: str, recipient: str = "u1") -> Notification:
    return Notification(
        id,
        NotificationType.TASK_DUE,
        Channel.IN_APP,
        recipient,
        None,
        "t",
        "b",
        Language.ZH_CN,
        "e",
        NOW,
    )


async def test_received_yields_each_notification_once_and_reads_back_broker_ids() -> None:
    hub = LiveHub()
    stored = {"n2": notice("n2"), "x": notice("x", recipient="u2")}
    loads: list[str] = []

    async def load(id: str) -> Notification | None:
        loads.append(id)
        return stored.get(id)

    stream = received(hub, "u1", load)
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    hub.committed(notice("n1"))  # local commit: no database read
    assert (await asyncio.wait_for(first, 1)).id == "n1"
    hub.publish("u1", "n1")  # the broker's copy of the same notice: skipped
    hub.publish("u1", "x")  # someone else's, mis-addressed: skipped
    hub.publish("u1", "n2")  # stored by another replica: read back
    assert (await asyncio.wait_for(anext(stream), 2)).id == "n2"
    assert loads == ["x", "n2"]
    await stream.aclose()
