"""Idempotent client writes on the interaction service: createTicket, createTask and
addTicketComment with an `idempotencyKey`. The same key again (also concurrently) returns the
first result and creates nothing; the same key with a different request is a CONFLICT naming
the first result; the key is per caller. (recordPurchase is idempotent by its source order id,
logInteraction is covered in test_interaction_logging.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.interaction.harness import Service
from tests.support import auth_headers, error_code, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

AGENT = auth_headers(sub="idem-agent", roles=("SERVICE",), team="east")
OTHER = auth_headers(sub="idem-other", roles=("SERVICE",), team="east")
TICKET = """
mutation($input: CreateTicketInput!) { createTicket(input: $input) { id subject } }"""
TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id title } }"
COMMENT = """
mutation($id: ID!, $body: String!, $key: String) {
  addTicketComment(id: $id, body: $body, idempotencyKey: $key) { id body }
}"""


def ticket_input(customer_id: str, key: str | None, subject: str = "printer jam") -> Any:
    return {
        "input": {
            "customerId": customer_id,
            "type": "COMPLAINT",
            "subject": subject,
            "idempotencyKey": key,
        }
    }


def task_input(customer_id: str, key: str | None, title: str = "call back") -> Any:
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    return {
        "input": {"customerId": customer_id, "title": title, "dueAt": due, "idempotencyKey": key}
    }


async def same_key_three_times(
    service: Service, query: str, variables: Any, field: str
) -> set[str]:
    """Two concurrent requests and a later retry, all with one key: their ids."""
    bodies = [
        *await asyncio.gather(
            service.query(query, variables, AGENT), service.query(query, variables, AGENT)
        ),
        await service.query(query, variables, AGENT),
    ]
    assert all(b.get("data") and b["data"].get(field) for b in bodies), bodies
    return {b["data"][field]["id"] for b in bodies}


async def test_create_ticket_with_the_same_key_creates_one_ticket(service: Service) -> None:
    customer_id = await service.new_customer()
    key = unique("ticket-key")
    ids = await same_key_three_times(
        service, TICKET, ticket_input(customer_id, key), "createTicket"
    )
    assert len(ids) == 1
    assert await service.db["tickets"].count_documents({"customerId": customer_id}) == 1

    changed = await service.query(TICKET, ticket_input(customer_id, key, "other subject"), AGENT)
    assert (
        error_code(changed) == "CONFLICT"
        and changed["errors"][0]["extensions"]["conflictingId"] in ids
    )
    other = await service.query(TICKET, ticket_input(customer_id, key), OTHER)
    assert other["data"]["createTicket"]["id"] not in ids, "keys are per caller"
    assert await service.db["tickets"].count_documents({"customerId": customer_id}) == 2


async def test_create_task_with_the_same_key_creates_one_task(service: Service) -> None:
    customer_id = await service.new_customer()
    key = unique("task-key")
    variables = task_input(customer_id, key)
    ids = await same_key_three_times(service, TASK, variables, "createTask")
    assert len(ids) == 1
    assert await service.db["tasks"].count_documents({"customerId": customer_id}) == 1

    changed = await service.query(TASK, task_input(customer_id, key, "another title"), AGENT)
    assert (
        error_code(changed) == "CONFLICT"
        and changed["errors"][0]["extensions"]["conflictingId"] in ids
    )
    without_key = await service.query(TASK, task_input(customer_id, None), AGENT)
    assert without_key["data"]["createTask"]["id"] not in ids
    assert await service.db["tasks"].count_documents({"customerId": customer_id}) == 2


async def test_add_ticket_comment_with_the_same_key_adds_one_comment(service: Service) -> None:
    customer_id = await service.new_customer()
    created = await service.query(TICKET, ticket_input(customer_id, None), AGENT)
    ticket_id = created["data"]["createTicket"]["id"]
    variables = {"id": ticket_id, "body": "replaced the fuser", "key": unique("comment-key")}
    ids = await same_key_three_times(service, COMMENT, variables, "addTicketComment")
    assert len(ids) == 1
    assert await service.db["ticket_comments"].count_documents({"ticketId": ticket_id}) == 1

    changed = await service.query(COMMENT, {**variables, "body": "something else"}, AGENT)
    assert (
        error_code(changed) == "CONFLICT"
        and changed["errors"][0]["extensions"]["conflictingId"] in ids
    )
    assert await service.db["ticket_comments"].count_documents({"ticketId": ticket_id}) == 1


async def test_a_blank_idempotency_key_is_bad_user_input(service: Service) -> None:
    customer_id = await service.new_customer()
    body = await service.query(TICKET, ticket_input(customer_id, "  "), AGENT)
    assert error_code(body) == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "idempotencyKey"
    assert await service.db["tickets"].count_documents({"customerId": customer_id}) == 0
