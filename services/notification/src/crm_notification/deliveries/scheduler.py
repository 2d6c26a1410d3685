"""The durable delivery scheduler: due deliveries (first attempts, deferred ones, retries) live
in MongoDB; each replica claims them with a lease, sends outside any transaction, and records
the outcome (and its event) in one short transaction only while it still holds the lease. A
failed attempt is scheduled again by the retry policy (deliveries/model.py: `failed`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from crm_kit.jobs import JobRunner
from crm_kit.uow import Transaction, UnitOfWork
from crm_notification.channels.addresses import AddressBook
from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import (
    Delivery,
    DeliveryError,
    DeliveryStatus,
    RetryPolicy,
    Sender,
    failed,
    succeeded,
)
from crm_notification.deliveries.privacy import masked, scrub
from crm_notification.deliveries.store import Claim, DeliveryRepository
from crm_notification.digest.service import DigestService
from crm_notification.digest.store import DigestRepository
from crm_notification.events import notification_delivered, notification_failed
from crm_notification.webhooks.service import record_outcome
from crm_notification.webhooks.store import WebhookRepository

_log = logging.getLogger("crm_notification.scheduler")


@dataclass(kw_only=True, eq=False)
class DeliveryScheduler:
    """Claims, sends and records due deliveries (a `crm_kit.jobs` source); `run` loops until
    stopped, `wake` cuts a wait short when new work was planned."""

    owner: str
    deliveries: DeliveryRepository
    webhooks: WebhookRepository
    uow: UnitOfWork
    senders: Mapping[Channel, Sender]
    policy: RetryPolicy
    lease: timedelta
    poll_seconds: float
    batch: int
    disable_webhook_after: int
    clock: Callable[[], datetime]
    addresses: AddressBook | None = None
    digests: DigestRepository | None = None
    sent_total: int = field(default=0, init=False)
    failed_total: int = field(default=0, init=False)
    lost_leases_total: int = field(default=0, init=False)
    _runner: JobRunner[Claim] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._runner = JobRunner(
            source=self, name="delivery scheduler", poll_seconds=self.poll_seconds,
            batch=self.batch, concurrent=True,
        )  # fmt: skip

    def wake(self) -> None:
        self._runner.wake()

    async def run(self, stop: asyncio.Event) -> None:
        await self._runner.run(stop)

    async def run_once(self) -> int:
        """Claim up to `batch` due deliveries and send them concurrently; how many were taken."""
        return await self._runner.run_once()

    # --- the runner's source: claim, work, failed ---------------------------------------------

    async def claim(self) -> Claim | None:
        return await self.deliveries.claim(self.owner, self.clock(), self.lease)

    async def work(self, claim: Claim, stop: asyncio.Event) -> bool:
        await self._process(claim)
        return True

    async def failed(self, claim: Claim, exc: Exception) -> None:
        """Recording the outcome failed: the lease expires and the delivery is sent again."""
        _log.warning(
            "delivery attempt not recorded",
            exc_info=exc, extra={"fields": {"delivery": claim.delivery.id}},
        )  # fmt: skip

    async def _process(self, claim: Claim) -> None:
        started = time.perf_counter()
        logged, error = await self._send(claim.delivery)
        took = int((time.perf_counter() - started) * 1000)
        now = self.clock()
        outcome = (
            succeeded(logged, now, took)
            if error is None
            else failed(logged, error, at=now, duration_ms=took, policy=self.policy)
        )
        recorded = await self.uow.run(lambda tx: self._record(tx, claim, outcome, error is None))
        if not recorded:
            self.lost_leases_total += 1
            _log.warning("lease lost before recording", extra={"fields": {"delivery": logged.id}})
        elif error is None:
            self.sent_total += 1
        else:
            self.failed_total += 1

    async def _send(self, delivery: Delivery) -> tuple[Delivery, DeliveryError | None]:
        """One attempt: the delivery as the log keeps it (composed text, masked address) and
        the error, if the attempt failed (its text scrubbed of addresses)."""
        sender = self.senders.get(delivery.channel)
        try:
            if sender is None:
                raise DeliveryError(f"no sender for channel {delivery.channel}", permanent=True)
            outgoing = await self._prepare(delivery)
            delivery = replace(outgoing, address=masked(outgoing.channel, outgoing.address))
            await sender.send(outgoing)
        except DeliveryError as exc:
            return delivery, DeliveryError(scrub(str(exc)), permanent=exc.permanent)
        except Exception as exc:  # a bug in a sender must not kill the scheduler
            _log.exception("sender crashed", extra={"fields": {"delivery": delivery.id}})
            return delivery, DeliveryError(f"internal error: {type(exc).__name__}")
        return delivery, None

    async def _prepare(self, delivery: Delivery) -> Delivery:
        """The delivery as sent: the real address looked up now, a digest's text composed."""
        outgoing = delivery
        if self.addresses is not None:
            outgoing = replace(outgoing, address=await self.addresses.resolve(delivery))
        if outgoing.channel in (Channel.EMAIL, Channel.SMS) and not outgoing.address:
            kind = "email address" if outgoing.channel is Channel.EMAIL else "phone number"
            target = outgoing.target
            who = target.replace(":", " ", 1) if ":" in target else f"user {target}"
            raise DeliveryError(f"no {kind} for {who}", permanent=True)
        if self.digests is not None:
            outgoing = await DigestService(self.digests).composed(outgoing)
        return outgoing

    async def _record(self, tx: Transaction, claim: Claim, outcome: Delivery, ok: bool) -> bool:
        if not await self.deliveries.finish(claim, outcome, tx.session):
            return False
        subject = outcome.customer_id or ""
        if outcome.status is DeliveryStatus.SENT:
            tx.emit(
                notification_delivered.TYPE,
                subject,
                notification_delivered.delivery_payload(outcome),
            )
        elif outcome.status is DeliveryStatus.DEAD:
            tx.emit(notification_failed.TYPE, subject, notification_failed.payload(outcome))
        if outcome.channel is Channel.WEBHOOK and not _is_admin_skip(outcome):
            await self._webhook_outcome(tx, outcome.target, ok)
        return True

    async def _webhook_outcome(self, tx: Transaction, hook_id: str, ok: bool) -> None:
        """Count the attempt against its subscription; one that the failure disables gives up
        its pending deliveries."""
        hook = await record_outcome(
            self.webhooks, hook_id, ok, self.disable_webhook_after, tx.session
        )
        if hook is not None and not hook.enabled and not ok:
            reason = hook.disabled_reason or "webhook subscription disabled"
            await self.deliveries.kill_pending_of(hook.id, reason, tx.session)


def _is_admin_skip(d: Delivery) -> bool:
    """A delivery refused because its subscription is already disabled does not count again."""
    return d.last_error is not None and d.last_error.startswith("webhook subscription")
