"""Ticket status to the customer's email, behind a per-rule flag: the notification service
asks the real customer subgraph (`_entities`, service token) for the address at send time;
the mail arrives in the SMTP sink, while the delivery log, the outbox and the events keep only
the masked recipient."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from crm_kit.uow import OUTBOX_COLLECTION
from tests.harness import serve_service
from tests.integration.notification.harness import Stack, event, running_stack, ticket
from tests.support import eventually, gql

pytestmark = pytest.mark.integration

CREATE = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }"
SAVE_RULE = """mutation($input: NotificationRuleInput!) {
  saveNotificationRule(input: $input) { id emailCustomer } }"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def customer_url(mongodb_uri: str, amqp_url: str) -> AsyncIterator[str]:
    async with serve_service("customer", mongodb_uri, amqp_url) as customer:
        yield customer.base


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(mongodb_uri: str, amqp_url: str, customer_url: str) -> AsyncIterator[Stack]:
    async with running_stack(
        mongodb_uri, amqp_url, customer_graphql_url=f"{customer_url}/graphql"
    ) as s:
        yield s


async def new_customer(customer_url: str, emails: list[str]) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        body = await gql(
            http,
            f"{customer_url}/graphql",
            CREATE,
            {"i": {"kind": "INDIVIDUAL", "name": f"李雷{uuid.uuid4().hex[:4]}", "emails": emails}},
        )
    assert "errors" not in body, body
    return str(body["data"]["createCustomer"]["id"])


def status_changed(customer_id: str, to: str) -> Any:
    data = {
        "ticket": ticket(customer_id, "svc-1", status=to),
        "from": "IN_PROGRESS",
        "to": to,
        "actorId": "svc-1",
        "reopened": False,
    }
    return event("ticket.status_changed.v1", data, customer_id)


@pytest.mark.asyncio(loop_scope="session")
async def test_status_change_mails_the_customer_without_storing_the_address(
    stack: Stack, customer_url: str
) -> None:
    email = f"li.lei.{uuid.uuid4().hex[:6]}@example.cn"
    customer_id = await new_customer(customer_url, [email])
    no_email = await new_customer(customer_url, [])
    saved = await stack.ok(
        SAVE_RULE,
        {
            "input": {
                "id": "ticket-status-changed",
                "eventType": "ticket.status_changed.v1",
                "notificationType": "TICKET_STATUS_CHANGED",
                "recipients": [{"kind": "FIELD", "value": "ticket.assigneeId|assigneeId"}],
                "channels": ["IN_APP"],
                "variables": [
                    {"name": "ticketId", "path": "ticket.id"},
                    {"name": "status", "path": "to"},
                    {"name": "previous", "path": "from"},
                ],
                "customerPath": "ticket.customerId|customerId",
                "emailCustomer": True,
            }
        },
    )
    assert saved["saveNotificationRule"]["emailCustomer"] is True
    sent = await stack.publish(status_changed(customer_id, "RESOLVED"))
    [mail] = await stack.sink.wait_for(1, address=email)
    assert mail.subject == "您的服务工单状态已更新：已解决"  # the status in words
    assert sent.data["ticket"]["id"] in mail.text()
    delivery = await stack.wait_delivery(sent, "EMAIL", "SENT")
    assert delivery["target"] == f"customer:{customer_id}"
    assert delivery["address"] == "l***@example.cn"
    stored = await stack.db["deliveries"].find_one({"_id": delivery["id"]})
    assert email not in str(stored)

    async def published() -> list[Any]:
        found = (
            await stack.db[OUTBOX_COLLECTION]
            .find({"type": "notification.delivered.v1", "subject": customer_id})
            .to_list()
        )
        return found

    outbox = await eventually(published)
    assert email not in str(outbox)

    missing = await stack.publish(status_changed(no_email, "CLOSED"))
    dead = await stack.wait_delivery(missing, "EMAIL", "DEAD")
    assert dead["lastError"] == f"no email address for customer {no_email}"
