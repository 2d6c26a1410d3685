"""Inbox use cases: a recipient reads and archives their own notifications; planned in-app
notifications are stored, announced and pushed live; erasure removes a customer's texts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from crm_kit.uow import Transaction
from crm_notification.events import notification_delivered
from crm_notification.inbox.live import LiveHub
from crm_notification.inbox.model import UNREAD, InboxChange, Notification
from crm_notification.inbox.store import NotificationRepository
from crm_notification.rules.batches import Fold, folded
from crm_notification.shared.inserts import first_time


class InboxService:
    def __init__(
        self,
        notifications: NotificationRepository,
        live: LiveHub,
        clock: Callable[[], datetime],
    ) -> None:
        self._notifications = notifications
        self._live = live
        self._clock = clock

    async def mark_read(self, recipient_id: str, ids: Sequence[str] | None) -> InboxChange:
        """Mark the recipient's own notifications in `ids` (all when None) read."""
        changed = await self._notifications.mark_read(recipient_id, ids, self._clock())
        return await self._change(recipient_id, changed)

    async def archive(self, recipient_id: str, ids: Sequence[str]) -> InboxChange:
        """Move the recipient's own notifications in `ids` to the archive (read)."""
        changed = await self._notifications.archive(recipient_id, ids, self._clock())
        return await self._change(recipient_id, changed)

    async def _change(self, recipient_id: str, changed: int) -> InboxChange:
        unread = await self._notifications.inbox_count(recipient_id, UNREAD)
        return InboxChange(changed=changed, unread=unread)

    async def add(
        self, notifications: Sequence[Notification], tx: Transaction, subject: str
    ) -> None:
        """Store planned in-app notifications (in-app delivery is the insert itself). Ids derive
        from the event, so even a replay that bypassed the inbox record adds none twice; each
        new one is announced (`notification.delivered.v1`) and, once committed, pushed to this
        replica's live subscribers (see live.py)."""
        inserted = await self._notifications.add_many(notifications, session=tx.session)
        for notification in notifications:
            if not first_time(inserted, notification.id):
                continue
            tx.emit(
                notification_delivered.TYPE,
                notification.customer_id or subject,
                notification_delivered.payload(notification),
            )
            tx.after_commit(partial(self._live.committed, notification))

    async def fold(self, folds: Sequence[Fold], tx: Transaction) -> None:
        """Count one more change of a batch in each recipient's collapsed notice: the first
        change stores (announces and pushes) it, a later one rewrites its count and texts."""
        for fold in folds:
            previous = await self._notifications.get(fold.id, tx.session)
            notice = folded(fold, previous)
            if previous is None:
                await self.add([notice], tx, fold.batch.id)
            else:
                await self._notifications.refold(notice, self._clock(), tx.session)

    async def erase_customer(self, customer_id: str, tx: Transaction) -> int:
        """Right to erasure: the texts of notifications about the customer; how many."""
        return await self._notifications.erase_customer(customer_id, tx.session)
