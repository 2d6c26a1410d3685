"""`updateTask` moves the durable reminders and the overdue check; `task.overdue.v1` fires
once for a task still OPEN past its due time, although two replicas run the scheduler; a ticket
comment announces the staff it mentions (`ticket.comment_added.v1`) without its text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.interaction.clocked import START, Replicas, replicas
from tests.support import auth_headers, eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TASK_FIELDS = "id status dueAt reminderOffsets assigneeId urgency title version"
CREATE = f"""
mutation($input: CreateTaskInput!) {{ createTask(input: $input) {{ {TASK_FIELDS} }} }}"""
UPDATE = f"""
mutation($id: ID!, $input: UpdateTaskInput!, $v: Int) {{
  updateTask(id: $id, input: $input, expectedVersion: $v) {{ {TASK_FIELDS} }}
}}"""
COMPLETE = "mutation($id: ID!) { completeTask(id: $id) { id status } }"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pair(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Replicas]:
    async with replicas(mongodb_uri, amqp_url) as running:
        yield running


async def create(pair: Replicas, customer_id: str, **extra: Any) -> dict[str, Any]:
    task: dict[str, Any] = await pair.a.one(
        CREATE,
        {
            "input": {
                "customerId": customer_id,
                "title": "回访",
                "dueAt": (pair.clock.now + timedelta(hours=2)).isoformat(),
                **extra,
            }
        },
    )
    return task


def of_task(pair: Replicas, type_: str, task_id: str) -> list[dict[str, Any]]:
    return [
        e for e in pair.captured.events if e["type"] == type_ and e["data"]["task"]["id"] == task_id
    ]


async def jobs(pair: Replicas, task_id: str) -> list[tuple[str, str]]:
    docs = await pair.a.db["scheduled_jobs"].find({"refId": task_id}).sort("_id").to_list()
    return [(d["_id"].rsplit(":", 1)[1], d["dueAt"].isoformat()) for d in docs]


async def settled(check: Any) -> None:
    async def holds() -> bool:
        return bool(check())

    await eventually(holds)


async def test_update_task_moves_reminders_and_emits_task_updated(pair: Replicas) -> None:
    pair.clock.now = START
    customer_id = await pair.a.new_customer()
    task = await create(pair, customer_id, reminderOffsets=[30])
    due = START + timedelta(hours=2)
    assert await jobs(pair, task["id"]) == [
        ("30", (due - timedelta(minutes=30)).isoformat()),
        ("overdue", (due + timedelta(minutes=1)).isoformat()),
    ]
    later = START + timedelta(days=1)
    changed = await pair.a.one(
        UPDATE,
        {
            "id": task["id"],
            "v": 1,
            "input": {
                "dueAt": later.isoformat(),
                "reminderOffsets": [60, 0],
                "urgency": "HIGH",
                "assigneeId": "bob",
                "title": " 改期回访 ",
            },
        },
    )
    assert changed["version"] == 2 and changed["assigneeId"] == "bob"
    assert changed["title"] == "改期回访" and changed["urgency"] == "HIGH"
    assert changed["reminderOffsets"] == [60, 0]
    assert await jobs(pair, task["id"]) == [
        ("0", later.isoformat()),
        ("60", (later - timedelta(hours=1)).isoformat()),
        ("overdue", (later + timedelta(minutes=1)).isoformat()),
    ]
    await settled(lambda: of_task(pair, "task.updated.v1", task["id"]))
    [event] = of_task(pair, "task.updated.v1", task["id"])
    assert sorted(event["data"]["changedFields"]) == [
        "assigneeId",
        "dueAt",
        "reminderOffsets",
        "title",
        "urgency",
    ]
    assert event["data"]["previousAssigneeId"] == task["assigneeId"] != "bob"
    assert event["data"]["assigneeId"] == "bob" and "title" not in event["data"]["task"]

    # the old reminder time passes: nothing fires (the job moved)
    pair.clock.advance(hours=2)
    await pair.settle()
    assert of_task(pair, "task.due.v1", task["id"]) == []
    assert of_task(pair, "task.overdue.v1", task["id"]) == []

    # an unchanged update changes nothing; a stale version is a conflict
    same = await pair.a.one(UPDATE, {"id": task["id"], "input": {"urgency": "HIGH"}})
    assert same["version"] == 2
    stale = await pair.a.query(UPDATE, {"id": task["id"], "v": 1, "input": {"title": "x"}})
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_update_task_rejects_bad_input_and_strangers(pair: Replicas) -> None:
    pair.clock.now = START
    customer_id = await pair.a.new_customer()
    task = await create(pair, customer_id)
    bad = await pair.a.query(
        UPDATE,
        {
            "id": task["id"],
            "input": {
                "dueAt": (START - timedelta(days=1)).isoformat(),
                "title": "",
                "reminderOffsets": [-5],
            },
        },
    )
    error = bad["errors"][0]["extensions"]
    assert error["code"] == "BAD_USER_INPUT"
    assert {f["field"] for f in error["fieldErrors"]} == {"dueAt", "title", "reminderOffsets"}
    stranger = await pair.a.query(
        UPDATE,
        {"id": task["id"], "input": {"title": "mine"}},
        headers=auth_headers(sub="zoe", roles=("SALES",)),
    )
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await pair.a.one(COMPLETE, {"id": task["id"]})
    closed = await pair.a.query(UPDATE, {"id": task["id"], "input": {"title": "again"}})
    assert closed["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "NOT_OPEN"
    missing = await pair.a.query(UPDATE, {"id": "nope", "input": {"title": "x"}})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_overdue_fires_once_for_open_tasks_only(pair: Replicas) -> None:
    pair.clock.now = START
    customer_id = await pair.a.new_customer()
    late = await create(pair, customer_id, reminderOffsets=[])
    done = await create(pair, customer_id, reminderOffsets=[])
    await pair.a.one(COMPLETE, {"id": done["id"]})
    pair.clock.advance(hours=2)  # exactly due: not overdue yet
    await pair.settle()
    assert of_task(pair, "task.overdue.v1", late["id"]) == []
    pair.clock.advance(minutes=1)
    await settled(lambda: of_task(pair, "task.overdue.v1", late["id"]))
    await pair.settle(1.0)  # both replicas poll many times more
    [event] = of_task(pair, "task.overdue.v1", late["id"])
    assert event["subject"] == customer_id
    assert event["data"]["assigneeId"] == late["assigneeId"]
    assert event["data"]["overdueSince"].startswith((START + timedelta(hours=2)).isoformat()[:19])
    assert of_task(pair, "task.overdue.v1", done["id"]) == []
    assert await jobs(pair, late["id"]) == []


COMMENT = """
mutation($id: ID!, $body: String!) { addTicketComment(id: $id, body: $body) { id } }"""
TICKET = "mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }"


async def test_ticket_comment_emits_mentions_without_text(pair: Replicas) -> None:
    customer_id = await pair.a.new_customer()
    ticket = await pair.a.one(
        TICKET, {"input": {"customerId": customer_id, "type": "INQUIRY", "subject": "报价"}}
    )
    body = "客户电话 13800138000，@bob 请回电，@carol 知悉 (mail me: alice@corp.cn)"
    comment = await pair.a.one(COMMENT, {"id": ticket["id"], "body": body})

    def added() -> list[dict[str, Any]]:
        return [
            e
            for e in pair.captured.of("ticket.comment_added.v1", customer_id)
            if e["data"]["commentId"] == comment["id"]
        ]

    await settled(added)
    [event] = added()
    assert event["data"]["mentionedStaffIds"] == ["bob", "carol"]
    assert event["data"]["actorId"] == "alice" and event["data"]["customerVisible"] is False
    assert event["data"]["ticket"]["id"] == ticket["id"]
    assert "13800138000" not in str(event) and "回电" not in str(event)
