"""The opportunity rules against a real RabbitMQ and the embedded MongoDB, fed with events as
the sales service builds them: each notice delivered once under redelivery, to the right
people (the owner; the team's MANAGERs from the staff directory) and never to the actor, with
its link to the opportunity; an owner chosen at creation told once; one notice per bulk
assignment and new owner, counting its deals; a type muted in the preferences is not sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import pytest_asyncio

from crm_kit.events import CloudEvent
from crm_sales.events import (
    opportunity_assigned,
    opportunity_created,
    opportunity_lost,
    opportunity_stalled,
    opportunity_won,
    snapshots,
)
from crm_sales.opportunities.values import BuyingRole, Closing, Contact, Opportunity, Status
from crm_sales.stalls.model import Stay, Watched, stall_of
from tests.integration.notification.harness import Stack, running_stack
from tests.support import eventually, uid
from tests.unit.sales.samples import opportunity, pipeline

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
INBOX = """
query { myNotifications(first: 20) {
  totalCount edges { node { id type recipientId customerId title body link } } } }
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Stack]:
    async with running_stack(mongodb_uri, amqp_url) as s:
        yield s


def deal(owner: str, team: str | None = None) -> Opportunity:
    """A deal of its own customer (in lead since 2026-03-02 09:00 UTC)."""
    return replace(opportunity(), id=uid("opp"), customer_id=uid("c"), owner_id=owner, team=team)


def sales_event(type: str, o: Opportunity, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(type=type, source="crm/sales", subject=o.customer_id, data=data)


def created(o: Opportunity, actor: str) -> CloudEvent:
    snapshot = snapshots.opportunity(o, 10, None)
    return sales_event(opportunity_created.TYPE, o, opportunity_created.payload(snapshot, actor))


def assigned(
    o: Opportunity, previous: str, actor: str, batch: dict[str, str] | None = None
) -> CloudEvent:
    snapshot = snapshots.opportunity(o, 10, None)
    data = opportunity_assigned.payload(snapshot, previous, o.team, actor, batch=batch)
    return sales_event(opportunity_assigned.TYPE, o, data)


def bulk(batch_id: str) -> dict[str, str]:
    """`batch` as bulkAssignOpportunities names its call in each of its events."""
    return {"kind": opportunity_assigned.BULK_ASSIGN, "id": batch_id, "startedAt": NOW.isoformat()}


def stalled(o: Opportunity) -> CloudEvent:
    watch = Watched(pipeline(), pipeline().stage(o.stage_id))
    stall = stall_of(Stay(o.id, o.stage_id, o.stage_entered_at), watch, NOW)
    data = opportunity_stalled.payload(snapshots.opportunity(o, 10, None), stall)
    return sales_event(opportunity_stalled.TYPE, o, data)


def closed(o: Opportunity, actor: str, *, won: bool) -> CloudEvent:
    closing = Closing("PRICE", None, NOW, actor)
    status, module = (Status.WON, opportunity_won) if won else (Status.LOST, opportunity_lost)
    o = replace(o, status=status, stage_id=status.value.lower(), closing=closing)
    snapshot = snapshots.opportunity(o, 100 if won else 0, None)
    return sales_event(module.TYPE, o, module.payload(snapshot, closing, None))


async def inbox(stack: Stack, user: str) -> list[dict[str, Any]]:
    data = await stack.ok(INBOX, sub=user, roles=("SALES",))
    return [e["node"] for e in data["myNotifications"]["edges"]]


async def redelivered(stack: Stack, *events: CloudEvent) -> None:
    """Each event published twice (the same id), both copies consumed."""
    consumer = stack.app.state.runtime.consumer
    before = consumer.duplicates_total
    for event in events:
        await stack.publish(event)
        await stack.publish(event)

    async def all_seen() -> bool:
        return bool(consumer.duplicates_total >= before + len(events))

    await eventually(all_seen, timeout=30)
    for event in events:
        await stack.applied(event)


async def test_an_opportunity_opened_for_someone_else_tells_its_owner_once(stack: Stack) -> None:
    owner, actor = uid("sales"), uid("mgr")
    o = deal(owner)
    mine = deal(actor)  # opened by its own owner: nobody is told
    await redelivered(stack, created(o, actor), created(mine, actor))
    [notice] = await inbox(stack, owner)
    assert notice["type"] == "OPPORTUNITY_ASSIGNED"
    assert notice["title"] == "商机分配给您：华东区 CRM 升级"
    assert notice["link"] == f"/opportunities/{o.id}"
    assert notice["customerId"] == o.customer_id
    assert await inbox(stack, actor) == []


async def test_a_reassignment_tells_the_new_owner_once_never_a_self_assigner(
    stack: Stack,
) -> None:
    previous, new_owner, manager = uid("sales"), uid("sales"), uid("mgr")
    o = replace(deal(new_owner), team="east")
    taken = replace(deal(manager), team="east")  # the manager took a deal themselves
    await redelivered(stack, assigned(o, previous, manager), assigned(taken, previous, manager))
    [notice] = await inbox(stack, new_owner)
    assert notice["type"] == "OPPORTUNITY_ASSIGNED"
    assert notice["title"] == "商机分配给您：华东区 CRM 升级"
    assert notice["link"] == f"/opportunities/{o.id}"
    assert await inbox(stack, manager) == []
    assert await inbox(stack, previous) == []


async def test_an_owner_chosen_at_creation_is_told_once_by_the_assignment(stack: Stack) -> None:
    creator, owner = uid("mgr"), uid("sales")
    opened = deal(creator)  # opened as its creator's, then handed to the rule's pick
    handed = replace(opened, owner_id=owner, version=2)
    await redelivered(stack, created(opened, creator), assigned(handed, creator, creator))
    [notice] = await inbox(stack, owner)
    assert (notice["type"], notice["link"]) == (
        "OPPORTUNITY_ASSIGNED",
        f"/opportunities/{handed.id}",
    )
    assert await inbox(stack, creator) == []


async def test_a_bulk_assignment_tells_each_new_owner_once_per_call(stack: Stack) -> None:
    owner, manager, call, later = uid("sales"), uid("mgr"), uid("bulk"), uid("bulk")
    await stack.set_preferences(owner, language="en")
    events = [assigned(deal(owner), "li.lei", manager, bulk(call)) for _ in range(3)]
    events.append(assigned(deal(manager), "li.lei", manager, bulk(call)))  # to themselves
    await redelivered_in_bulk(stack, *events, assigned(deal(owner), "li.lei", manager, bulk(later)))
    notices = {n["batch"]["id"]: n for n in await batched_inbox(stack, owner)}
    assert set(notices) == {call, later}
    folded = notices[call]
    assert (folded["type"], folded["customerId"]) == ("OPPORTUNITIES_ASSIGNED", None)
    assert folded["batch"] == {"kind": "BULK_ASSIGN", "id": call, "count": 3}
    assert folded["title"] == "3 opportunities assigned to you by bulk assignment"
    assert folded["link"] == (
        f"/opportunities?ownerId={owner}&orderBy.field=UPDATED_AT&orderBy.direction=DESC"
    )
    assert notices[later]["title"] == "1 opportunity assigned to you by bulk assignment"
    assert await batched_inbox(stack, manager) == []


async def redelivered_in_bulk(stack: Stack, *events: CloudEvent) -> None:
    """`redelivered` for events of a batch: they are applied by the bulk lane's consumer."""
    lane = stack.app.state.runtime.lanes[0]
    before = lane.duplicates_total
    for event in events:
        await stack.publish(event)
        await stack.publish(event)

    async def all_seen() -> bool:
        return bool(lane.duplicates_total >= before + len(events))

    await eventually(all_seen, timeout=60)


BATCHED_INBOX = """
query { myNotifications(first: 20) {
  edges { node { type customerId title link batch { kind id count } } } } }
"""


async def batched_inbox(stack: Stack, user: str) -> list[dict[str, Any]]:
    data = await stack.ok(BATCHED_INBOX, sub=user, roles=("SALES",))
    return [e["node"] for e in data["myNotifications"]["edges"]]


async def test_a_stall_tells_the_owner_once_in_app_and_by_email(stack: Stack) -> None:
    owner = uid("sales")
    await stack.set_preferences(owner, email=f"{owner}@example.cn", language="en")
    o = deal(owner)
    event = stalled(o)
    await redelivered(stack, event)
    [notice] = await inbox(stack, owner)
    assert notice["type"] == "OPPORTUNITY_STALLED"
    assert notice["title"] == "Opportunity stalled: 华东区 CRM 升级"
    assert "“Lead”" in notice["body"] and "14 days" in notice["body"]
    assert notice["link"] == f"/opportunities/{o.id}"
    mail = await stack.wait_delivery(event, "EMAIL", "SENT")
    assert mail["target"] == owner and mail["notificationType"] == "OPPORTUNITY_STALLED"
    assert len([d for d in await stack.deliveries() if d["eventId"] == event.id]) == 1


async def test_won_and_lost_tell_the_teams_managers_once_never_the_actor(stack: Stack) -> None:
    team, other_team = uid("team"), uid("team")
    closer, manager, elsewhere = uid("mgr"), uid("mgr"), uid("mgr")
    owner = uid("sales")
    # staff become known to this service on their first request (just in time)
    for who, their_team in ((closer, team), (manager, team), (elsewhere, other_team)):
        await stack.ok("{ unreadNotificationCount }", sub=who, roles=("MANAGER",), team=their_team)
    await stack.ok("{ unreadNotificationCount }", sub=owner, roles=("SALES",), team=team)
    won, lost = deal(owner, team), deal(owner, team)
    await redelivered(stack, closed(won, closer, won=True), closed(lost, owner, won=False))

    to_manager = {n["type"]: n for n in await inbox(stack, manager)}
    assert set(to_manager) == {"OPPORTUNITY_WON", "OPPORTUNITY_LOST"}
    assert to_manager["OPPORTUNITY_WON"]["title"] == "团队赢单：华东区 CRM 升级"
    assert to_manager["OPPORTUNITY_WON"]["link"] == f"/opportunities/{won.id}"
    assert to_manager["OPPORTUNITY_LOST"]["link"] == f"/opportunities/{lost.id}"
    assert "（原因：价格），由 " in to_manager["OPPORTUNITY_LOST"]["body"]
    # the manager who closed the won deal hears only of the lost one
    assert [n["type"] for n in await inbox(stack, closer)] == ["OPPORTUNITY_LOST"]
    assert await inbox(stack, owner) == []  # not a manager (and the actor of the loss)
    assert await inbox(stack, elsewhere) == []  # another team's manager
    assert [d for d in await stack.deliveries(statuses=["DEAD"]) if d["target"] == "-"] == []


async def test_a_type_muted_in_the_preferences_is_not_sent(stack: Stack) -> None:
    owner = uid("sales")
    muted = [{"type": "OPPORTUNITY_STALLED", "channels": []}]
    await stack.set_preferences(owner, email=f"{owner}@example.cn", channels=muted)
    event, other = stalled(deal(owner)), created(deal(owner), uid("mgr"))
    await redelivered(stack, event, other)
    assert [n["type"] for n in await inbox(stack, owner)] == ["OPPORTUNITY_ASSIGNED"]
    assert [d for d in await stack.deliveries() if d["eventId"] == event.id] == []


HOOK = """mutation($input: WebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { subscription { id eventTypes } } }"""


async def test_a_webhook_receives_won_deals_without_their_contacts(stack: Stack) -> None:
    await stack.ok(
        HOOK, {"input": {"url": stack.receiver.url, "eventTypes": ["opportunity.won.v1"]}}
    )
    stack.receiver.hits.clear()
    o = replace(deal("sal-hook", "east"), contacts=(Contact("钱多多", BuyingRole.DECISION_MAKER),))
    won = await stack.publish(closed(o, "sal-hook", won=True))
    delivery = await stack.wait_delivery(won, "WEBHOOK", "SENT")
    [hit] = [h for h in stack.receiver.hits if h.headers["x-crm-delivery-id"] == delivery["id"]]
    assert hit.headers["x-crm-event-type"] == "opportunity.won.v1"
    body = orjson.loads(hit.body)
    assert body["id"] == won.id and body["data"]["opportunity"]["id"] == o.id
    assert "contacts" not in body["data"]["opportunity"] and "钱多多" not in hit.body.decode()
