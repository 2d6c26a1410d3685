"""The read side of notifications: one recipient's inbox, and notifications about customers
batched for DataLoaders (`Customer.notifications` over many customers in one `_entities` call
costs one aggregation per field, never one query per customer)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from crm_kit.paging import Keyset
from crm_notification.inbox.model import UNREAD, InboxFilter, Notification, Page
from crm_notification.inbox.store import NotificationRepository


@dataclass(frozen=True, slots=True)
class PageKey:
    customer_id: str
    recipient_id: str | None
    first: int
    after: Keyset | None


@dataclass(frozen=True, slots=True)
class CountKey:
    customer_id: str
    recipient_id: str | None
    unread_only: bool


async def load_pages(repo: NotificationRepository, keys: list[PageKey]) -> list[Page]:
    # Keys of one `_entities` call share their arguments, so this is normally one group.
    groups: dict[tuple[str | None, int, Keyset | None], list[str]] = defaultdict(list)
    for key in keys:
        groups[(key.recipient_id, key.first, key.after)].append(key.customer_id)
    results: dict[PageKey, Page] = {}
    for (recipient_id, first, after), customer_ids in groups.items():
        pages = await repo.pages_about_customers(
            customer_ids, recipient_id=recipient_id, first=first, after=after
        )
        for customer_id, page in pages.items():
            results[PageKey(customer_id, recipient_id, first, after)] = page
    return [results[key] for key in keys]


async def load_counts(repo: NotificationRepository, keys: list[CountKey]) -> list[int]:
    groups: dict[tuple[str | None, bool], list[str]] = defaultdict(list)
    for key in keys:
        groups[(key.recipient_id, key.unread_only)].append(key.customer_id)
    results: dict[CountKey, int] = {}
    for (recipient_id, unread_only), customer_ids in groups.items():
        counts = await repo.counts_about_customers(
            customer_ids, recipient_id=recipient_id, unread_only=unread_only
        )
        for customer_id, n in counts.items():
            results[CountKey(customer_id, recipient_id, unread_only)] = n
    return [results[key] for key in keys]


class InboxQueries:
    def __init__(self, notifications: NotificationRepository) -> None:
        self._notifications = notifications

    async def get(self, id: str) -> Notification | None:
        return await self._notifications.get(id)

    async def page(
        self, recipient_id: str, where: InboxFilter, *, first: int, after: Keyset | None
    ) -> Page:
        return await self._notifications.inbox_page(recipient_id, where, first=first, after=after)

    async def count(self, recipient_id: str, where: InboxFilter) -> int:
        return await self._notifications.inbox_count(recipient_id, where)

    async def unread_count(self, recipient_id: str) -> int:
        return await self._notifications.inbox_count(recipient_id, UNREAD)

    async def pages_about_customers(self, keys: list[PageKey]) -> list[Page]:
        return await load_pages(self._notifications, keys)

    async def counts_about_customers(self, keys: list[CountKey]) -> list[int]:
        return await load_counts(self._notifications, keys)
