"""Per-request DataLoaders: `Customer.notifications` over many customers in one `_entities`
call costs one aggregation per field, never one query per customer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from crm_notification.graphql.context import Info
from crm_notification.pagination import Position
from crm_notification.repository import NotificationRepository, Page


@dataclass(frozen=True, slots=True)
class PageKey:
    customer_id: str
    recipient_id: str | None
    first: int
    after: Position | None


@dataclass(frozen=True, slots=True)
class CountKey:
    customer_id: str
    recipient_id: str | None
    unread_only: bool


async def load_pages(repo: NotificationRepository, keys: list[PageKey]) -> list[Page]:
    # Keys of one `_entities` call share their arguments, so this is normally one group.
    groups: dict[tuple[str | None, int, Position | None], list[str]] = defaultdict(list)
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


def customer_pages(info: Info) -> DataLoader[PageKey, Page]:
    repo = info.context.deps.notifications

    async def load(keys: list[PageKey]) -> list[Page]:
        return await load_pages(repo, keys)

    return info.context.loader("customer_notification_pages", load)


def customer_counts(info: Info) -> DataLoader[CountKey, int]:
    repo = info.context.deps.notifications

    async def load(keys: list[CountKey]) -> list[int]:
        return await load_counts(repo, keys)

    return info.context.loader("customer_notification_counts", load)
