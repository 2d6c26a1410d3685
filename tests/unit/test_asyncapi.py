"""docs/asyncapi.yaml describes every event: the contract's types, every type the services'
events code defines, and payloads exactly as the payload functions produce them."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import jsonschema
import pytest
import yaml

from crm_customer.customers.model import Customer
from crm_customer.customers.values import Address, CustomerKind, LifecycleStage, Source
from crm_customer.events import (
    batch,
    customer_archived,
    customer_assigned,
    customer_created,
    customer_erased,
    customer_merged,
    customer_unmerged,
    customer_updated,
)
from crm_interaction.events import (
    interaction_logged,
    purchase_recorded,
    task_completed,
    task_created,
    task_due,
    task_overdue,
    task_updated,
    ticket_assigned,
    ticket_comment_added,
    ticket_created,
    ticket_sla_breached,
    ticket_status_changed,
)
from crm_interaction.interactions.details import (
    Outcome,
    Participant,
    ParticipantKind,
    RecordDetails,
)
from crm_interaction.interactions.model import Channel, Direction
from crm_interaction.purchases.model import PurchaseStatus
from crm_interaction.tasks.model import TaskStatus, Urgency
from crm_interaction.tickets.model import TicketStatus, TicketType
from crm_interaction.tickets.sla import Priority, SlaTarget
from crm_kit.events import CloudEvent
from crm_notification.channels.model import Channel as NotificationChannel
from crm_notification.events import notification_delivered, notification_failed
from crm_sales.history.model import MoveKind
from crm_sales.merge.model import MergeField
from crm_sales.opportunities.values import Status
from tests.unit.sales_event_samples import SALES_PRODUCED

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
EVENTS_MD = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
# The event types fixed by the architecture contract.
CONTRACT = (
    "customer.created.v1", "customer.updated.v1", "customer.assigned.v1", "customer.merged.v1",
    "customer.archived.v1", "customer.erased.v1", "interaction.logged.v1", "ticket.created.v1",
    "ticket.assigned.v1", "ticket.status_changed.v1", "ticket.sla_breached.v1",
    "task.created.v1", "task.due.v1", "task.completed.v1", "purchase.recorded.v1",
    "opportunity.created.v1", "opportunity.updated.v1", "opportunity.stage_changed.v1",
    "opportunity.won.v1", "opportunity.lost.v1",
    "notification.delivered.v1", "notification.failed.v1",
)  # fmt: skip
EVENT_TYPE = re.compile(r"^[a-z]+\.[a-z_]+\.v\d+$")
T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def emitted_types() -> set[str]:
    """Module-level string constants shaped like an event type in the services' events code
    (each service's `events` package and any `events.py`)."""
    files = [
        *ROOT.glob("services/*/src/*/events/*.py"),
        *ROOT.glob("services/*/src/*/**/events.py"),
    ]
    found: set[str] = set()
    for path in files:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
                and EVENT_TYPE.match(node.value.value)
            ):
                found.add(node.value.value)
    return found


def test_spec_is_asyncapi_with_one_channel_per_routing_key() -> None:
    assert SPEC["asyncapi"].startswith("2.6")
    assert SPEC["servers"]["rabbitmq"]["protocol"] == "amqp"
    messages = SPEC["components"]["messages"]
    for channel, item in SPEC["channels"].items():
        assert EVENT_TYPE.match(channel)
        assert item["bindings"]["amqp"]["exchange"] == {
            "name": "crm.events",
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        }
        name = item["subscribe"]["message"]["$ref"].rsplit("/", 1)[1]
        assert messages[name]["name"] == channel
        assert messages[name]["payload"]["allOf"][1]["properties"]["type"] == {"const": channel}


def test_every_contract_and_emitted_type_is_documented() -> None:
    emitted = emitted_types()
    assert set(CONTRACT) <= emitted, set(CONTRACT) - emitted  # the scan finds the code's types
    documented = set(SPEC["channels"])
    assert emitted - documented == set(), "emitted but not in docs/asyncapi.yaml"
    assert documented - emitted == set(), "in docs/asyncapi.yaml but never emitted"
    assert {t for t in emitted if f"`{t}`" not in EVENTS_MD} == set(), "not in docs/events.md"


def schema_of(event_type: str) -> dict[str, Any]:
    ref = SPEC["channels"][event_type]["subscribe"]["message"]["$ref"]
    message = SPEC["components"]["messages"][ref.rsplit("/", 1)[1]]
    # refs are '#/components/…': resolvable when the components sit at this schema's root
    return {**message["payload"], "components": SPEC["components"]}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        kind, name = schema["$ref"].split("/")[-2:]
        schema = SPEC["components"][kind][name]
    return schema


def undocumented(value: Any, schema: dict[str, Any], path: str = "data") -> list[str]:
    """Fields the code produces that the schema does not describe (recursively)."""
    schema = resolve(schema)
    if isinstance(value, dict) and "properties" in schema:
        out = [f"{path}.{k}" for k in value if k not in schema["properties"]]
        for k, v in value.items():
            if k in schema["properties"]:
                out += undocumented(v, schema["properties"][k], f"{path}.{k}")
        return out
    if isinstance(value, list) and "items" in schema:
        return [p for v in value for p in undocumented(v, schema["items"], path + "[]")]
    return []


def customer(**kw: Any) -> Customer:
    values: dict[str, Any] = {
        "id": "c1",
        "kind": CustomerKind.ENTERPRISE,
        "name": "云帆",
        "stage": LifecycleStage.ACTIVE,
        "created_at": T,
        "updated_at": T,
        "created_by": "alice",
        "updated_by": "alice",
        "tags": ["vip"],
        "owner_id": "bob",
        "team": "east",
        "source": Source.EVENT,
        "industry": "I",
        "addresses": [Address("浙江省")],
        "birthday": date(1990, 1, 1),
        "custom_fields": {"level": "A"},
    }
    values.update(kw)
    return Customer(**values)


TICKET = NS(
    id="t1", customer_id="c1", type=TicketType.FAULT, priority=Priority.HIGH,
    status=TicketStatus.ASSIGNED, team="svc", assignee_id="dan", created_by="bob",
    created_at=T, first_response_due_at=T, resolution_due_at=None, version=2,
)  # fmt: skip
TASK = NS(
    id="k1", customer_id="c1", assignee_id="bob", due_at=T, urgency=Urgency.HIGH,
    status=TaskStatus.DONE, reminder_offsets=(60, 0), created_by="bob", version=3,
    completed_at=T, title="回访 13800138000",
)  # fmt: skip
DELIVERY = NS(
    id="d1", notification_id="n1", target="https://hooks.example.com/x", notification_type=
    "CUSTOMER_ASSIGNED", channel=NotificationChannel.WEBHOOK, customer_id="c1", attempts=3,
    status="DEAD", last_error="HTTP 500",
)  # fmt: skip
INTERACTION = NS(
    id="i1", customer_id="c1", channel=Channel.PHONE, direction=Direction.OUTBOUND,
    subject="报价跟进", occurred_at=T, logged_by="bob", content="call @carol about it",
    details=RecordDetails(
        participants=(Participant(ParticipantKind.STAFF, "dan"),),
        outcome=Outcome.FOLLOW_UP_NEEDED, tags=("报价",),
    ),
)  # fmt: skip
PURCHASE = NS(
    id="p1", customer_id="c1", order_number="SO-1", amount=Decimal("12.50"), currency="CNY",
    status=PurchaseStatus.PAID, purchased_at=T, source="erp", external_id="e1", items=[1, 2],
    version=1,
)  # fmt: skip
PRODUCED: list[tuple[str, str, dict[str, Any]]] = [
    ("customer.created.v1", "crm/customer", customer_created.payload(customer(), "alice")),
    (
        "customer.updated.v1",
        "crm/customer",
        customer_updated.payload(customer(), ["tags", "custom_fields"], "alice", restored_from=2),
    ),
    ("customer.assigned.v1", "crm/customer", customer_assigned.payload(customer(), None, "al")),
    (
        "customer.archived.v1",
        "crm/customer",
        customer_archived.payload(customer(archived=True), "alice"),
    ),
    ("customer.merged.v1", "crm/customer", customer_merged.payload(customer(), ["c2"], "m1", "a")),
    (
        "customer.unmerged.v1",
        "crm/customer",
        customer_unmerged.payload(customer(), [customer(id="c2", archived=True)], "m1", "a"),
    ),
    ("customer.erased.v1", "crm/customer", customer_erased.payload("c1", T, "alice")),
    ("interaction.logged.v1", "crm/interaction", interaction_logged.payload(INTERACTION)),  # type: ignore[arg-type]
    ("ticket.created.v1", "crm/interaction", ticket_created.payload(TICKET)),  # type: ignore[arg-type]
    (
        "ticket.assigned.v1",
        "crm/interaction",
        ticket_assigned.payload(TICKET, None, "ROUND_ROBIN"),  # type: ignore[arg-type]
    ),
    (
        "ticket.status_changed.v1",
        "crm/interaction",
        ticket_status_changed.payload(TICKET, TicketStatus.RESOLVED, "dan"),  # type: ignore[arg-type]
    ),
    (
        "ticket.sla_breached.v1",
        "crm/interaction",
        ticket_sla_breached.payload(TICKET, SlaTarget.RESOLUTION, T.isoformat(), T.isoformat()),  # type: ignore[arg-type]
    ),
    (
        "ticket.comment_added.v1",
        "crm/interaction",
        ticket_comment_added.payload(
            TICKET,  # type: ignore[arg-type]
            NS(id="m1", customer_visible=False, author_id="dan", created_at=T),  # type: ignore[arg-type]
            ["carol"],
        ),
    ),
    ("task.created.v1", "crm/interaction", task_created.payload(TASK)),  # type: ignore[arg-type]
    ("task.due.v1", "crm/interaction", task_due.payload(TASK, 60, T.isoformat())),  # type: ignore[arg-type]
    ("task.completed.v1", "crm/interaction", task_completed.payload(TASK, "bob")),  # type: ignore[arg-type]
    (
        "task.updated.v1",
        "crm/interaction",
        task_updated.payload(TASK, ["dueAt"], "dan", "bob"),  # type: ignore[arg-type]
    ),
    ("task.overdue.v1", "crm/interaction", task_overdue.payload(TASK, T.isoformat())),  # type: ignore[arg-type]
    ("purchase.recorded.v1", "crm/interaction", purchase_recorded.payload(PURCHASE, True)),  # type: ignore[arg-type]
    (
        "notification.delivered.v1",
        "crm/notification",
        notification_delivered.delivery_payload(DELIVERY),  # type: ignore[arg-type]
    ),
    ("notification.failed.v1", "crm/notification", notification_failed.payload(DELIVERY)),  # type: ignore[arg-type]
    *SALES_PRODUCED,
]


@pytest.mark.parametrize(("event_type", "source", "data"), PRODUCED, ids=[p[0] for p in PRODUCED])
def test_produced_payloads_match_their_schema(
    event_type: str, source: str, data: dict[str, Any]
) -> None:
    envelope = CloudEvent(type=event_type, source=source, subject="c1", data=data).to_dict()
    jsonschema.validate(envelope, schema_of(event_type))
    data_schema = schema_of(event_type)["allOf"][1]["properties"]["data"]
    assert undocumented(data, data_schema) == []
    assert "level" not in str(data)  # custom field values never leave the service


def test_schema_enums_are_the_code_enums() -> None:
    schemas = SPEC["components"]["schemas"]

    def values(enum: type[StrEnum]) -> list[str]:
        return [str(m) for m in enum]

    def listed(schema: dict[str, Any]) -> list[str]:
        return [v for v in resolve(schema)["enum"] if v is not None]

    interaction = schemas["InteractionLoggedData"]["properties"]["interaction"]["properties"]
    assert listed(interaction["channel"]) == values(Channel)
    assert listed(interaction["direction"]) == values(Direction)
    assert listed(interaction["outcome"]) == values(Outcome)
    ticket = schemas["Ticket"]["properties"]
    assert listed(ticket["type"]) == values(TicketType)
    assert listed(ticket["priority"]) == values(Priority)
    assert listed(ticket["status"]) == values(TicketStatus)
    assert listed(schemas["TicketSlaBreachedData"]["properties"]["target"]) == values(SlaTarget)
    task = schemas["Task"]["properties"]
    assert listed(task["urgency"]) == values(Urgency)
    assert listed(task["status"]) == values(TaskStatus)
    purchase = schemas["PurchaseRecordedData"]["properties"]["purchase"]["properties"]
    assert listed(purchase["status"]) == values(PurchaseStatus)
    channel = schemas["NotificationRef"]["properties"]["channel"]
    assert listed(channel) == values(NotificationChannel)
    snapshot = schemas["CustomerSnapshot"]["properties"]
    assert listed(snapshot["stage"]) == values(LifecycleStage)
    assert listed(snapshot["kind"]) == values(CustomerKind)
    assert listed(snapshot["source"]) == values(Source)
    assert listed(schemas["OpportunitySnapshot"]["properties"]["status"]) == values(Status)
    moves = schemas["OpportunityStageChangedData"]["properties"]["kind"]
    # CREATED is opportunity.created.v1, MERGED opportunity.merged.v1: neither is a stage_changed.v1
    unpublished = (MoveKind.CREATED, MoveKind.MERGED)
    assert listed(moves) == [k for k in values(MoveKind) if k not in unpublished]
    picked = schemas["OpportunityMergedData"]["properties"]["pickedFields"]["items"]
    assert listed(picked) == values(MergeField)


BATCHED: list[tuple[str, dict[str, Any]]] = [
    ("customer.created.v1", customer_created.payload(customer(), "alice")),
    ("customer.updated.v1", customer_updated.payload(customer(), ["tags"], "alice")),
    ("customer.assigned.v1", customer_assigned.payload(customer(), None, "alice")),
    ("customer.archived.v1", customer_archived.payload(customer(archived=True), "alice")),
]


@pytest.mark.parametrize(("event_type", "data"), BATCHED, ids=[b[0] for b in BATCHED])
def test_the_batch_of_an_import_or_bulk_update_is_documented(
    event_type: str, data: dict[str, Any]
) -> None:
    with batch.caused_by(batch.Batch(batch.BatchKind.IMPORT, "job-1", T)):
        tagged = batch.tagged(data)
    assert tagged["batch"]["id"] == "job-1"
    envelope = CloudEvent(
        type=event_type, source="crm/customer", subject="c1", data=tagged
    ).to_dict()
    jsonschema.validate(envelope, schema_of(event_type))
    assert undocumented(tagged, schema_of(event_type)["allOf"][1]["properties"]["data"]) == []
    kinds = resolve({"$ref": "#/components/schemas/Batch"})["properties"]["kind"]["enum"]
    assert kinds == [str(k) for k in batch.BatchKind]
