"""The durable delivery scheduler: due deliveries (first attempts, deferred ones, retries) live
in MongoDB; each replica claims them with a lease, sends outside any transaction, and records
the outcome (and its event) in one short transaction only while it still holds the lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from crm_kit.uow import Transaction, UnitOfWork
from crm_notification.addresses import AddressBook
from crm_notification.channels import Sender
from crm_notification.delivery import (
    Delivery,
    DeliveryError,
    DeliveryStatus,
    RetryPolicy,
    failed,
    succeeded,
)
from crm_notification.delivery_repository import Claim, DeliveryRepository
from crm_notification.digest import DIGEST_TYPE, compose
from crm_notification.digest_store import DigestStore
from crm_notification.domain import Channel, Language
from crm_notification.events import notification_delivered, notification_failed
from crm_notification.privacy import masked, scrub
from crm_notification.webhook_repository import WebhookRepository

_log = logging.getLogger("crm_notification.scheduler")


class DeliveryScheduler:
    def __init__(
        self,
        *,
        owner: str,
        deliveries: DeliveryRepository,
        webhooks: WebhookRepository,
        uow: UnitOfWork,
        senders: Mapping[Channel, Sender],
        policy: RetryPolicy,
        lease: timedelta,
        poll_seconds: float,
        batch: int,
        disable_webhook_after: int,
        clock: Callable[[], datetime],
        addresses: AddressBook | None = None,
        digests: DigestStore | None = None,
    ) -> None:
        self.owner = owner
        self._deliveries = deliveries
        self._webhooks = webhooks
        self._uow = uow
        self._senders = dict(senders)
        self._policy = policy
        self._lease = lease
        self._poll = poll_seconds
        self._batch = batch
        self._disable_after = disable_webhook_after
        self._clock = clock
        self._addresses = addresses
        self._digests = digests
        self._wakeup = asyncio.Event()
        self.sent_total = 0
        self.failed_total = 0
        self.lost_leases_total = 0

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:
                _log.warning("scheduler cycle failed", exc_info=True)
                done = 0
            if done:
                continue
            self._wakeup.clear()
            waiters = [
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self._wakeup.wait()),
            ]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED), self._poll
                )
            for waiter in waiters:
                waiter.cancel()

    async def run_once(self) -> int:
        """Claim up to `batch` due deliveries and send them concurrently; how many were taken."""
        claims: list[Claim] = []
        now = self._clock()
        for _ in range(self._batch):
            claim = await self._deliveries.claim(self.owner, now, self._lease)
            if claim is None:
                break
            claims.append(claim)
        if claims:
            await asyncio.gather(*(self._process(c) for c in claims))
        return len(claims)

    async def _process(self, claim: Claim) -> None:
        delivery = claim.delivery
        sender = self._senders.get(delivery.channel)
        started = time.perf_counter()
        error: DeliveryError | None = None
        try:
            if sender is None:
                raise DeliveryError(f"no sender for channel {delivery.channel}", permanent=True)
            outgoing = await self._prepare(delivery)
            # the log keeps the composed text but only the masked address
            delivery = replace(outgoing, address=masked(outgoing.channel, outgoing.address))
            await sender.send(outgoing)
        except DeliveryError as exc:
            error = DeliveryError(scrub(str(exc)), permanent=exc.permanent)
        except Exception as exc:  # a bug in a sender must not kill the scheduler
            _log.exception("sender crashed", extra={"fields": {"delivery": delivery.id}})
            error = DeliveryError(f"internal error: {type(exc).__name__}")
        took = int((time.perf_counter() - started) * 1000)
        now = self._clock()
        outcome = (
            succeeded(delivery, now, took)
            if error is None
            else failed(delivery, error, at=now, duration_ms=took, policy=self._policy)
        )
        recorded = await self._uow.run(lambda tx: self._record(tx, claim, outcome, error is None))
        if not recorded:
            self.lost_leases_total += 1
            _log.warning("lease lost before recording", extra={"fields": {"delivery": delivery.id}})
        elif error is None:
            self.sent_total += 1
        else:
            self.failed_total += 1

    async def _prepare(self, delivery: Delivery) -> Delivery:
        """The delivery as sent: the real address looked up now, a digest's text composed."""
        outgoing = delivery
        if self._addresses is not None:
            outgoing = replace(outgoing, address=await self._addresses.resolve(delivery))
        if outgoing.channel in (Channel.EMAIL, Channel.SMS) and not outgoing.address:
            kind = "email address" if outgoing.channel is Channel.EMAIL else "phone number"
            target = outgoing.target
            who = target.replace(":", " ", 1) if ":" in target else f"user {target}"
            raise DeliveryError(f"no {kind} for {who}", permanent=True)
        if outgoing.notification_type == DIGEST_TYPE and self._digests is not None:
            items = await self._digests.of_digest(outgoing.id)
            if not items:
                raise DeliveryError("empty digest", permanent=True)
            language = Language(str(outgoing.payload.get("language") or Language.ZH_CN))
            title, body = compose(items, language)
            outgoing = replace(outgoing, title=title, body=body)
        return outgoing

    async def _record(self, tx: Transaction, claim: Claim, outcome: Delivery, ok: bool) -> bool:
        if not await self._deliveries.finish(claim, outcome, tx.session):
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
            hook = await self._webhooks.record_outcome(
                outcome.target, ok, self._disable_after, tx.session
            )
            if hook is not None and not hook.enabled and not ok:
                reason = hook.disabled_reason or "webhook subscription disabled"
                await self._deliveries.kill_pending_of(hook.id, reason, tx.session)
        return True


def _is_admin_skip(d: Delivery) -> bool:
    """A delivery refused because its subscription is already disabled does not count again."""
    return d.last_error is not None and d.last_error.startswith("webhook subscription")
