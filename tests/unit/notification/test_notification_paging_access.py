"""Cursors, page sizes, visibility policy and DataLoader batching (with a fake repository)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pytest

from crm_kit.auth import Principal, Role
from crm_notification.access import customer_notifications_recipient
from crm_notification.inbox.model import Page
from crm_notification.inbox.queries import CountKey, PageKey, load_counts, load_pages
from crm_notification.inbox.store import NotificationRepository
from crm_notification.inbox.types import Once


def principal(*roles: Role) -> Principal:
    return Principal(sub="u-1", name="U", roles=frozenset(roles), team="east")


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ((Role.ADMIN,), None),
        ((Role.MANAGER,), None),
        ((Role.SALES,), "u-1"),
        ((Role.SERVICE, Role.ANALYST), "u-1"),
        ((), "u-1"),
    ],
)
def test_who_sees_notifications_about_a_customer(
    roles: tuple[Role, ...], expected: str | None
) -> None:
    assert customer_notifications_recipient(principal(*roles)) == expected


class FakeRepo:
    def __init__(self) -> None:
        self.page_calls: list[tuple[list[str], dict[str, Any]]] = []
        self.count_calls: list[tuple[list[str], dict[str, Any]]] = []

    async def pages_about_customers(
        self, customer_ids: Sequence[str], **kwargs: Any
    ) -> dict[str, Page]:
        self.page_calls.append((list(customer_ids), kwargs))
        return {cid: Page([], has_next=cid.endswith("7")) for cid in customer_ids}

    async def counts_about_customers(
        self, customer_ids: Sequence[str], **kwargs: Any
    ) -> dict[str, int]:
        self.count_calls.append((list(customer_ids), kwargs))
        return {cid: len(cid) + int(kwargs["unread_only"]) for cid in customer_ids}


async def test_pages_for_many_customers_are_one_repository_call() -> None:
    fake = FakeRepo()
    keys = [PageKey(f"c{i}", "u-1", 5, None) for i in range(50)]
    pages = await load_pages(cast(NotificationRepository, fake), keys)
    assert len(fake.page_calls) == 1
    assert fake.page_calls[0][1] == {"recipient_id": "u-1", "first": 5, "after": None}
    assert [p.has_next for p in pages] == [k.customer_id.endswith("7") for k in keys]


async def test_pages_with_different_arguments_are_grouped_not_mixed() -> None:
    fake = FakeRepo()
    keys = [PageKey("a", None, 5, None), PageKey("b", "u-1", 5, None), PageKey("c", None, 5, None)]
    await load_pages(cast(NotificationRepository, fake), keys)
    assert sorted(ids for ids, _ in fake.page_calls) == [["a", "c"], ["b"]]


async def test_counts_keep_key_order_and_group_by_scope() -> None:
    fake = FakeRepo()
    keys = [CountKey("aa", None, True), CountKey("b", None, False), CountKey("ccc", None, True)]
    counts = await load_counts(cast(NotificationRepository, fake), keys)
    assert counts == [3, 1, 4]
    assert len(fake.count_calls) == 2


async def test_once_runs_its_thunk_a_single_time() -> None:
    calls = 0

    async def thunk() -> int:
        nonlocal calls
        calls += 1
        return 42

    once = Once(thunk)
    assert (await once(), await once()) == (42, 42)
    assert calls == 1
