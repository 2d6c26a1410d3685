"""The customer's stage follows its sales opportunities, over the real broker: a won deal
makes a LEAD or PROSPECT customer ACTIVE, an opened one makes a LEAD a PROSPECT — through the
customer use case (a version in the history, an audit record by the system, a
`customer.updated.v1`), exactly once however often the event arrives, and a customer already
there or beyond is left alone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from crm_customer.customers.model import Customer, advance_stage
from crm_customer.customers.values import CustomerKind, LifecycleStage
from crm_kit.audit import mask
from crm_kit.consumer import EventConsumer
from crm_kit.events import CloudEvent
from crm_kit.mongo import Document
from tests.harness import serve_service
from tests.integration.customer.master_data import Service
from tests.support import eventually

pytestmark = pytest.mark.integration

WON, CREATED = "opportunity.won.v1", "opportunity.created.v1"
STAGE = "query($id: ID!) { customer(id: $id) { id stage version } }"
MERGE = "mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { mergeId } }"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def svc(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service("customer", mongodb_uri, amqp_url) as handle:
        await handle.bus.connect()  # the consumer is bound (ready) before anything is published
        yield Service.of(handle)


def consumer(svc: Service) -> EventConsumer:
    found = svc.app.state.runtime.consumer
    assert isinstance(found, EventConsumer)
    return found


def opportunity_event(type_: str, customer_id: str, version: int = 1) -> CloudEvent:
    """An opportunity event as the sales service publishes it (the fields read here)."""
    opportunity_id = uuid.uuid4().hex
    snapshot = {
        "id": opportunity_id,
        "customerId": customer_id,
        "name": "CRM 升级",
        "ownerId": "li.lei",
        "status": "WON" if type_ == WON else "OPEN",
        "amount": {"amount": "120000.00", "currency": "CNY"},
        "version": version,
    }
    data: dict[str, Any] = {"opportunity": snapshot, "actorId": "li.lei"}
    if type_ == WON:
        data |= {"customerId": customer_id, "reason": "PRICE", "closedAt": NOW.isoformat()}
    return CloudEvent(type=type_, source="crm/sales", subject=customer_id, data=data)


async def handled(svc: Service, event: CloudEvent) -> Document:
    """Wait until the consumer has committed `event` (its inbox record commits with it)."""
    inbox_id = f"{svc.settings.service_name}:{event.id}"
    found: Document = await eventually(lambda: svc.db["inbox"].find_one({"_id": inbox_id}))
    return found


async def stage_of(svc: Service, customer_id: str) -> tuple[str, int]:
    found = (await svc.ok(STAGE, {"id": customer_id}))["customer"]
    return found["stage"], found["version"]


async def updates(svc: Service, customer_id: str) -> list[Document]:
    """The `customer.updated.v1` events the service staged for the customer."""
    query = {"type": "customer.updated.v1", "subject": customer_id}
    return await svc.db["outbox"].find(query).sort("position", 1).to_list()


async def test_a_won_deal_makes_a_lead_active_once_however_often_it_arrives(svc: Service) -> None:
    customer = await svc.create(name="林晓", stage="LEAD")
    won = opportunity_event(WON, customer["id"])
    await svc.bus.publish(won)
    await handled(svc, won)
    assert await stage_of(svc, customer["id"]) == ("ACTIVE", 2)

    duplicates = consumer(svc).duplicates_total
    await svc.bus.publish(won)  # redelivered: the same event id again

    async def seen_as_duplicate() -> bool:
        return consumer(svc).duplicates_total > duplicates

    await eventually(seen_as_duplicate)
    again = CloudEvent(type=won.type, source=won.source, subject=won.subject, data=won.data)
    await svc.bus.publish(again)  # the same news under a new event id (a new delivery)
    await handled(svc, again)

    assert await stage_of(svc, customer["id"]) == ("ACTIVE", 2)
    query = {"customer_id": customer["id"]}
    versions = await svc.db["customer_versions"].find(query).sort("version", 1).to_list()
    assert [(v["version"], v["actor"], v["action"]) for v in versions] == [
        (1, "alice", "CREATED"),
        (2, "system:customer", "UPDATED"),
    ]
    assert [(c["field"], c["before"], c["after"]) for c in versions[1]["changes"]] == [
        ("stage", "LEAD", "ACTIVE")
    ]
    [event] = await updates(svc, customer["id"])
    data = event["envelope"]["data"]
    assert data["changedFields"] == ["stage"] and data["actorId"] == "system:customer"
    assert data["customer"]["stage"] == "ACTIVE" and data["customer"]["version"] == 2
    audit = await svc.db["audit_log"].find({"target.id": customer["id"]}).to_list()
    caused = [a for a in audit if a["action"] == "customer.stage_by_opportunity"]
    assert len(caused) == 1
    assert caused[0]["actor"] == f"system:{svc.settings.service_name}"
    # (the audit log cuts any run of 7+ digits in a detail, even inside a hex id)
    assert caused[0]["details"]["opportunityId"] == mask("_", won.data["opportunity"]["id"])
    assert caused[0]["details"]["event"] == mask("_", won.id)


async def test_a_won_deal_makes_a_prospect_active(svc: Service) -> None:
    customer = await svc.create(name="王芳", stage="PROSPECT")
    won = opportunity_event(WON, customer["id"])
    await svc.bus.publish(won)
    await handled(svc, won)
    assert await stage_of(svc, customer["id"]) == ("ACTIVE", 2)


@pytest.mark.parametrize("stage", ["ACTIVE", "VIP"])
async def test_a_customer_already_active_or_beyond_is_left_alone(svc: Service, stage: str) -> None:
    customer = await svc.create(name="赵敏", stage=stage)
    won = opportunity_event(WON, customer["id"])
    opened = opportunity_event(CREATED, customer["id"])
    await svc.bus.publish(won)
    await svc.bus.publish(opened)
    await handled(svc, won)
    await handled(svc, opened)
    assert await stage_of(svc, customer["id"]) == (stage, 1)
    assert await updates(svc, customer["id"]) == []
    assert await svc.db["customer_versions"].count_documents({"customer_id": customer["id"]}) == 1


async def test_an_opened_deal_makes_a_lead_a_prospect_and_leaves_a_prospect(svc: Service) -> None:
    lead = await svc.create(name="孙七", stage="LEAD")
    prospect = await svc.create(name="周八", stage="PROSPECT")
    events = [opportunity_event(CREATED, c["id"]) for c in (lead, prospect)]
    for event in events:
        await svc.bus.publish(event)
        await svc.bus.publish(event)  # and redelivered
    for event in events:
        await handled(svc, event)
    assert await stage_of(svc, lead["id"]) == ("PROSPECT", 2)
    assert await stage_of(svc, prospect["id"]) == ("PROSPECT", 1)
    [event] = await updates(svc, lead["id"])
    assert event["envelope"]["data"]["customer"]["stage"] == "PROSPECT"

    # the deal is won later: the prospect it made becomes active
    won = opportunity_event(WON, lead["id"], version=3)
    await svc.bus.publish(won)
    await handled(svc, won)
    assert await stage_of(svc, lead["id"]) == ("ACTIVE", 3)


async def test_a_deal_of_a_merged_away_customer_moves_the_survivor(svc: Service) -> None:
    survivor = await svc.create(name="钱一", stage="LEAD")
    merged = await svc.create(name="钱一一", stage="LEAD")
    merge = {"survivorId": survivor["id"], "mergedIds": [merged["id"]]}
    await svc.ok(MERGE, {"input": merge})
    won = opportunity_event(WON, merged["id"])
    await svc.bus.publish(won)
    await handled(svc, won)
    stage, _ = await stage_of(svc, survivor["id"])
    assert stage == "ACTIVE"


async def test_an_unknown_customer_is_acknowledged_without_a_change(svc: Service) -> None:
    won = opportunity_event(WON, uuid.uuid4().hex)
    dead = consumer(svc).dead_lettered_total
    await svc.bus.publish(won)
    await handled(svc, won)
    assert consumer(svc).dead_lettered_total == dead


def a_customer(stage: LifecycleStage, **extra: Any) -> Customer:
    return Customer(
        id="c1",
        kind=CustomerKind.ENTERPRISE,
        name="华东贸易",
        stage=stage,
        created_at=NOW,
        updated_at=NOW,
        created_by="alice",
        updated_by="alice",
        **extra,
    )


@pytest.mark.parametrize(
    ("stage", "target", "moves"),
    [
        (LifecycleStage.LEAD, LifecycleStage.ACTIVE, True),
        (LifecycleStage.PROSPECT, LifecycleStage.ACTIVE, True),
        (LifecycleStage.ACTIVE, LifecycleStage.ACTIVE, False),
        (LifecycleStage.VIP, LifecycleStage.ACTIVE, False),
        (LifecycleStage.CHURNED, LifecycleStage.ACTIVE, False),
        (LifecycleStage.LEAD, LifecycleStage.PROSPECT, True),
        (LifecycleStage.PROSPECT, LifecycleStage.PROSPECT, False),
        (LifecycleStage.ACTIVE, LifecycleStage.PROSPECT, False),
    ],
)
def test_the_system_moves_a_customer_forward_only(
    stage: LifecycleStage, target: LifecycleStage, moves: bool
) -> None:
    later = datetime(2026, 11, 24, tzinfo=UTC)
    moved = advance_stage(a_customer(stage), target, actor="system:customer", now=later)
    if not moves:
        assert moved is None
        return
    assert moved is not None
    assert (moved.stage, moved.version, moved.updated_by, moved.updated_at) == (
        target,
        2,
        "system:customer",
        later,
    )


def test_a_merged_away_or_erased_record_is_never_moved() -> None:
    for record in (a_customer(LifecycleStage.LEAD, merged_into="c2"),
                   a_customer(LifecycleStage.LEAD, erased=True)):  # fmt: skip
        assert advance_stage(record, LifecycleStage.ACTIVE, actor="s", now=NOW) is None
