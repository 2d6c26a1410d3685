"""The events of an import or bulk update (`data.batch`) against the real broker and database:
one collapsed notice per recipient, counted once per event, and a queue of their own so that
a batch's backlog never holds up another user's live notice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio

from crm_kit.events import CloudEvent
from tests.harness import serve_service
from tests.integration.notification.service_support import Service, assigned
from tests.support import auth_headers, eventually, gql, uid

pytestmark = pytest.mark.integration

INBOX = """{ myNotifications(first: 20) { totalCount edges { node {
  id type customerId title link batch { kind id count } } } } }"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service("notification", mongodb_uri, amqp_url) as handle:
        yield Service.of(handle)


def of_batch(event: CloudEvent, batch_id: str) -> CloudEvent:
    batch = {"kind": "IMPORT", "id": batch_id, "startedAt": "2026-03-01T00:00:00+00:00"}
    return replace(event, data={**event.data, "batch": batch})


async def inbox(service: Service, user: str) -> dict[str, Any]:
    body = await gql(
        service.http, service.graphql, INBOX, None, auth_headers(sub=user, roles=("SALES",))
    )
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["myNotifications"]
    return found


async def nodes(service: Service, user: str) -> list[dict[str, Any]]:
    return [e["node"] for e in (await inbox(service, user))["edges"]]


async def accounted(service: Service, user: str) -> int:
    """The assignments a user's notices account for: a collapsed one its count, any other
    one (also beyond the first page) one."""
    found = await inbox(service, user)
    counted = sum((e["node"]["batch"] or {"count": 1})["count"] for e in found["edges"])
    return int(counted + found["totalCount"] - len(found["edges"]))


async def test_a_batch_is_one_notice_whose_count_ignores_redeliveries(service: Service) -> None:
    owner, job = uid("sales"), uid("job")
    events = [of_batch(assigned(uid("c"), owner, "alice"), job) for _ in range(40)]
    for event in events:
        await service.publish(event)
    await service.publish(events[7])  # delivered again: the same event id
    lane = service.app.state.runtime.lanes[0]
    duplicates = lane.duplicates_total

    async def folded() -> list[dict[str, Any]] | None:
        done = await accounted(service, owner) >= 40 and lane.duplicates_total > duplicates
        return await nodes(service, owner) if done else None

    [node] = await eventually(folded, timeout=60)
    assert node["type"] == "CUSTOMERS_ASSIGNED" and node["customerId"] is None
    assert node["batch"] == {"kind": "IMPORT", "id": job, "count": 40}
    assert node["title"] == "40 位客户已通过导入分配给您"
    assert node["link"].startswith(f"/customers?ownerId={owner}&created.from=")


async def test_a_batch_backlog_does_not_hold_up_another_users_live_notice(
    service: Service,
) -> None:
    importer_owner, other, job = uid("sales"), uid("sales"), uid("job")
    backlog = 400
    for _ in range(backlog):
        await service.publish(of_batch(assigned(uid("c"), importer_owner, "alice"), job))
    live = assigned(uid("c"), other, "carol")
    await service.publish(live)  # published after the whole backlog

    async def live_arrived() -> int | None:
        if not await nodes(service, other):
            return None
        return await accounted(service, importer_owner)

    folded_by_then = await eventually(live_arrived, timeout=60)
    # In one queue the live event would wait for the 400 before it; in its own it does not.
    assert folded_by_then < backlog, folded_by_then
    [node] = await nodes(service, other)
    assert (node["type"], node["customerId"]) == ("CUSTOMER_ASSIGNED", live.subject)

    async def all_folded() -> bool:
        return await accounted(service, importer_owner) == backlog

    await eventually(all_folded, timeout=120)
