"""Tickets over HTTP with a controllable clock and two replicas sharing one database:
workflow, assignment, comments, rating, SLA breaches detected by the durable scheduler (once),
and task reminders firing once although both replicas run a scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.interaction.clocked import START, Replicas, replicas
from tests.support import auth_headers, eventually, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
ENGLISH = {**auth_headers(), "Accept-Language": "en"}  # the messages asserted are the English ones

TICKET_FIELDS = """
id status assigneeId team version allowedNextStatuses rating
sla { state firstResponseDueAt firstRespondedAt firstResponseBreached
      resolutionDueAt resolutionBreached paused }
"""
CREATE = f"""
mutation($input: CreateTicketInput!) {{ createTicket(input: $input) {{ {TICKET_FIELDS} }} }}
"""
ASSIGN = f"""
mutation($id: ID!, $agent: String, $team: String, $strategy: AssignmentStrategy!) {{
  assignTicket(id: $id, agentId: $agent, team: $team, strategy: $strategy) {{ {TICKET_FIELDS} }}
}}"""
STATUS = f"""
mutation($id: ID!, $status: TicketStatus!, $resolution: String) {{
  changeTicketStatus(id: $id, status: $status, resolution: $resolution) {{ {TICKET_FIELDS} }}
}}"""
COMMENT = """
mutation($id: ID!, $body: String!, $visible: Boolean!) {
  addTicketComment(id: $id, body: $body, customerVisible: $visible) { id customerVisible }
}"""
RATE = f"""
mutation($id: ID!, $rating: Int!) {{ rateTicket(id: $id, rating: $rating) {{ {TICKET_FIELDS} }} }}
"""
AGENT = """mutation($a: String!, $t: String!) {
  saveServiceAgent(agentId: $a, team: $t) { agentId team active }
}"""
TASK = """
mutation($input: CreateTaskInput!) {
  createTask(input: $input) { id status dueAt reminderOffsets assigneeId }
}"""
COMPLETE = "mutation($id: ID!) { completeTask(id: $id) { id status completedAt } }"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pair(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Replicas]:
    async with replicas(mongodb_uri, amqp_url) as running:
        yield running


def first_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    return error


async def new_ticket(pair: Replicas, customer_id: str, **extra: Any) -> dict[str, Any]:
    ticket: dict[str, Any] = await pair.a.one(
        CREATE,
        {
            "input": {
                "customerId": customer_id,
                "type": "FAULT",
                "priority": "HIGH",
                "subject": "打印机无法打印",
                "description": "客户报告打印机卡纸",
                **extra,
            }
        },
    )
    return ticket


async def test_workflow_assignment_comments_rating_and_events(pair: Replicas) -> None:
    customer_id = await pair.a.new_customer()
    team = unique("svc")
    for agent in ("wang", "li"):
        recorded = await pair.a.one(AGENT, {"a": f"{team}-{agent}", "t": team})
        assert recorded == {"agentId": f"{team}-{agent}", "team": team, "active": True}
    ticket = await new_ticket(pair, customer_id, team=team)
    assert ticket["status"] == "NEW" and ticket["allowedNextStatuses"] == ["ASSIGNED", "CLOSED"]
    assert ticket["sla"]["state"] == "ON_TRACK"
    assert ticket["sla"]["firstResponseDueAt"].startswith("2026-11-23T02:00:00")

    wrong = first_error(
        await pair.a.query(STATUS, {"id": ticket["id"], "status": "RESOLVED"}, headers=ENGLISH)
    )
    assert wrong["extensions"]["code"] == "BAD_USER_INPUT"
    assert "ASSIGNED, CLOSED" in wrong["message"]
    assert wrong["extensions"]["fieldErrors"][0]["field"] == "status"

    assigned = await pair.a.one(
        ASSIGN, {"id": ticket["id"], "team": team, "strategy": "LEAST_LOADED"}
    )
    assert assigned["status"] == "ASSIGNED" and assigned["team"] == team
    first_agent = assigned["assigneeId"]
    assert first_agent == f"{team}-li"  # both idle: ties go by id
    # the next ticket of the team goes to the less loaded agent
    second = await new_ticket(pair, customer_id, team=team)
    second = await pair.a.one(
        ASSIGN, {"id": second["id"], "team": team, "strategy": "LEAST_LOADED"}
    )
    assert second["assigneeId"] == f"{team}-wang"

    comment = await pair.a.one(COMMENT, {"id": ticket["id"], "body": "内部备注", "visible": False})
    assert comment["customerVisible"] is False
    reply = await pair.a.one(COMMENT, {"id": ticket["id"], "body": "已安排上门", "visible": True})
    assert reply["customerVisible"] is True
    pair.clock.advance(minutes=20)
    working = await pair.a.one(STATUS, {"id": ticket["id"], "status": "IN_PROGRESS"})
    assert working["sla"]["firstRespondedAt"].startswith("2026-11-23T01:00:00")  # the reply
    bad_rating = first_error(await pair.a.query(RATE, {"id": ticket["id"], "rating": 5}))
    assert bad_rating["extensions"]["fieldErrors"][0]["code"] == "NOT_RESOLVED"
    resolved = await pair.a.one(
        STATUS, {"id": ticket["id"], "status": "RESOLVED", "resolution": "更换硒鼓"}
    )
    assert resolved["sla"]["state"] == "MET"
    out_of_range = first_error(await pair.a.query(RATE, {"id": ticket["id"], "rating": 6}))
    assert out_of_range["extensions"]["fieldErrors"][0]["field"] == "rating"
    rated = await pair.a.one(RATE, {"id": ticket["id"], "rating": 4})
    assert rated["rating"] == 4

    detail = await pair.a.one(
        "query($id: ID!) { ticket(id: $id) { comments(customerVisibleOnly: true) { body } } }",
        {"id": ticket["id"]},
    )
    assert [c["body"] for c in detail["comments"]] == ["已安排上门"]
    mine = await pair.a.one(
        "{ myTickets { totalCount edges { node { id } } } }",
        {},
        headers=auth_headers(sub=f"{team}-wang", roles=("SERVICE",), team=team),
    )
    assert [e["node"]["id"] for e in mine["edges"]] == [second["id"]]

    async def published() -> bool:
        kinds = [e["type"] for e in pair.captured.events if e["subject"] == customer_id]
        return kinds.count("ticket.status_changed.v1") >= 4 and "ticket.assigned.v1" in kinds

    await eventually(published)
    created = pair.captured.of("ticket.created.v1", customer_id)
    assert len(created) == 2 and created[0]["data"]["ticket"]["priority"] == "HIGH"
    assert "subject" not in created[0]["data"]["ticket"]  # content stays in the service
    changes = [
        (e["data"]["from"], e["data"]["to"])
        for e in pair.captured.of("ticket.status_changed.v1", customer_id)
        if e["data"]["ticket"]["id"] == ticket["id"]
    ]
    assert changes == [
        ("NEW", "ASSIGNED"),
        ("ASSIGNED", "IN_PROGRESS"),
        ("IN_PROGRESS", "RESOLVED"),
    ]


async def test_unknown_customer_is_not_found(pair: Replicas) -> None:
    body = await pair.a.query(
        CREATE,
        {"input": {"customerId": "nobody-" + unique("x"), "type": "INQUIRY", "subject": "?"}},
    )
    assert first_error(body)["extensions"]["code"] == "NOT_FOUND"


async def test_sla_breach_fires_on_time_once_and_not_while_waiting(pair: Replicas) -> None:
    customer_id = await pair.a.new_customer()
    pair.clock.now = START
    late = await new_ticket(pair, customer_id, assigneeId="zhou")
    waiting = await new_ticket(pair, customer_id, assigneeId="zhou")
    parked = await pair.a.one(STATUS, {"id": waiting["id"], "status": "WAITING_CUSTOMER"})
    assert parked["sla"]["paused"] is True and parked["sla"]["resolutionDueAt"] is None

    def breaches(ticket_id: str) -> list[str]:
        return [
            e["data"]["target"]
            for e in pair.captured.of("ticket.sla_breached.v1", customer_id)
            if e["data"]["ticket"]["id"] == ticket_id
        ]

    pair.clock.advance(minutes=59)  # first response due after 60 working minutes
    await pair.settle()
    assert breaches(late["id"]) == []
    pair.clock.advance(minutes=1)
    await eventually(lambda: _async(breaches(late["id"]) == ["FIRST_RESPONSE"]))
    state = await pair.a.one(
        "query($id: ID!) { ticket(id: $id) { sla { state } } }", {"id": late["id"]}
    )
    assert state["sla"]["state"] == "BREACHED"

    pair.clock.advance(hours=30)  # past every resolution target of a HIGH ticket
    await eventually(lambda: _async(breaches(late["id"]) == ["FIRST_RESPONSE", "RESOLUTION"]))
    await pair.settle()
    assert breaches(late["id"]) == ["FIRST_RESPONSE", "RESOLUTION"]  # once each, two replicas
    assert breaches(waiting["id"]) == []  # paused: nothing was due
    event = pair.captured.of("ticket.sla_breached.v1", customer_id)[0]
    assert event["data"]["dueAt"] == "2026-11-23T02:00:00.000Z"
    assert event["data"]["assigneeId"] == "zhou"


async def _async(value: bool) -> bool:
    return value


async def test_task_reminders_fire_once_with_two_replicas(pair: Replicas) -> None:
    customer_id = await pair.a.new_customer()
    pair.clock.now = START
    due = START.replace(hour=3)
    past = first_error(
        await pair.a.query(
            TASK,
            {
                "input": {
                    "customerId": customer_id,
                    "title": "回访",
                    "dueAt": "2026-11-22T00:00:00Z",
                }
            },
            headers=ENGLISH,
        )
    )
    assert past["extensions"]["fieldErrors"][0] == {
        "field": "dueAt",
        "code": "IN_PAST",
        "message": "dueAt must not be in the past",
    }
    task = await pair.a.one(
        TASK,
        {
            "input": {
                "customerId": customer_id,
                "title": "电话回访满意度",
                "dueAt": due.isoformat(),
                "reminderOffsets": [0, 60],
            }
        },
    )
    dropped = await pair.a.one(
        TASK,
        {"input": {"customerId": customer_id, "title": "取消的", "dueAt": due.isoformat()}},
    )
    await pair.a.one(COMPLETE, {"id": dropped["id"]})

    def reminders(task_id: str) -> list[int]:
        return [
            e["data"]["reminderOffsetMinutes"]
            for e in pair.captured.of("task.due.v1", customer_id)
            if e["data"]["task"]["id"] == task_id
        ]

    pair.clock.advance(minutes=59)
    await pair.settle()
    assert reminders(task["id"]) == []
    pair.clock.advance(minutes=1)
    await eventually(lambda: _async(reminders(task["id"]) == [60]))
    pair.clock.advance(minutes=60)
    await eventually(lambda: _async(reminders(task["id"]) == [60, 0]))
    await pair.settle()
    assert reminders(task["id"]) == [60, 0]
    titles = {e["data"]["title"] for e in pair.captured.of("task.due.v1", customer_id)}
    assert titles == {"电话回访满意度"}  # what the reminder shows its assignee
    assert reminders(dropped["id"]) == []  # completed: its reminders were cancelled
    assert len(pair.captured.of("task.completed.v1", customer_id)) == 1
    assert len(pair.captured.of("task.created.v1", customer_id)) == 2
    left = await pair.a.db["scheduled_jobs"].find({"refId": task["id"]}).to_list()
    assert [job["kind"] for job in left] == ["task.overdue"]  # the reminders are gone


ANALYTICS = """
query($from: DateTime, $to: DateTime, $team: String) {
  serviceAnalytics(period: {from: $from, to: $to}, team: $team) {
    total byType { key count } byPriority { key count }
    firstResponse { count medianMinutes p90Minutes }
    resolution { count medianMinutes p90Minutes }
    slaEvaluated slaMet slaCompliance
    satisfactionTrend { weekStart average count }
    agents { agentId openTickets resolved }
  }
}"""


async def test_service_analytics_for_a_team(pair: Replicas) -> None:
    customer_id = await pair.a.new_customer()
    team = unique("ana")
    pair.clock.now = START
    quick, slow, ignored = [
        await new_ticket(pair, customer_id, team=team, assigneeId=agent)
        for agent in ("wu", "wu", "zheng")
    ]
    # the clock only moves forward: respond 30 and 50 minutes in, resolve at 90 and 120
    for minute, ticket, status in (
        (30, quick, "IN_PROGRESS"),
        (50, slow, "IN_PROGRESS"),
        (90, quick, "RESOLVED"),
        (120, slow, "RESOLVED"),
    ):
        pair.clock.now = START + timedelta(minutes=minute)
        await pair.a.one(STATUS, {"id": ticket["id"], "status": status})
    await pair.a.one(RATE, {"id": quick["id"], "rating": 5})
    await pair.a.one(RATE, {"id": slow["id"], "rating": 3})
    pair.clock.now = START.replace(hour=3)  # past the untouched ticket's first-response target

    async def breached() -> bool:
        found = await pair.a.db["tickets"].find_one({"_id": ignored["id"]})
        return bool(found and found["firstResponseBreached"])

    await eventually(breached)
    period = {"from": "2026-11-22T00:00:00Z", "to": "2026-11-24T00:00:00Z", "team": team}
    pair.a.commands.clear()
    stats = await pair.a.one(ANALYTICS, period)
    # computed by the database: one $facet aggregate for the period, one for the open load
    assert pair.a.commands.on("tickets") == ["aggregate", "aggregate"]
    assert stats["total"] == 3
    assert stats["byType"] == [{"key": "FAULT", "count": 3}]
    assert stats["firstResponse"] == {"count": 2, "medianMinutes": 30.0, "p90Minutes": 50.0}
    assert stats["resolution"] == {"count": 2, "medianMinutes": 90.0, "p90Minutes": 120.0}
    assert (stats["slaEvaluated"], stats["slaMet"], stats["slaCompliance"]) == (3, 2, 0.6667)
    assert stats["satisfactionTrend"] == [
        {"weekStart": "2026-11-23T00:00:00+00:00", "average": 4.0, "count": 2}
    ]
    assert stats["agents"] == [
        {"agentId": "wu", "openTickets": 0, "resolved": 2},
        {"agentId": "zheng", "openTickets": 1, "resolved": 0},
    ]
    sales = await pair.a.query(ANALYTICS, period, headers=auth_headers(sub="s", roles=("SALES",)))
    assert first_error(sales)["extensions"]["code"] == "FORBIDDEN"
    backwards = await pair.a.query(ANALYTICS, {**period, "to": "2026-11-01T00:00:00Z"})
    assert first_error(backwards)["extensions"]["fieldErrors"][0]["code"] == "OUT_OF_RANGE"
    assert first_error(backwards)["extensions"]["fieldErrors"][0]["field"] == "period.to"
    # the period's ends are both required: every missing one is named
    open_ended = await pair.a.query(ANALYTICS, {**period, "to": None})
    assert [
        (e["field"], e["code"]) for e in first_error(open_ended)["extensions"]["fieldErrors"]
    ] == [("period.to", "REQUIRED")]
    unbounded = await pair.a.query(ANALYTICS, {"from": None, "to": None, "team": team})
    assert [
        (e["field"], e["code"]) for e in first_error(unbounded)["extensions"]["fieldErrors"]
    ] == [
        ("period.from", "REQUIRED"),
        ("period.to", "REQUIRED"),
    ]


async def test_completing_a_recurring_task_creates_the_next(pair: Replicas) -> None:
    customer_id = await pair.a.new_customer()
    pair.clock.now = START
    weekly = await pair.a.one(
        TASK,
        {
            "input": {
                "customerId": customer_id,
                "title": "每周例会纪要",
                "dueAt": START.replace(hour=8).isoformat(),
                "recurrence": "WEEKLY",
            }
        },
    )
    await pair.a.one(COMPLETE, {"id": weekly["id"]})
    open_tasks = await pair.a.one(
        """query($reps: [_Any!]!) { _entities(representations: $reps) {
             ... on Customer { openTasks { id title dueAt recurrence } } } }""",
        {"reps": [{"__typename": "Customer", "id": customer_id}]},
    )
    [following] = open_tasks[0]["openTasks"]
    assert following["id"] != weekly["id"] and following["recurrence"] == "WEEKLY"
    assert following["dueAt"].startswith("2026-11-30T08:00:00")

    async def announced() -> bool:
        return len(pair.captured.of("task.created.v1", customer_id)) == 2

    await eventually(announced)


async def test_a_ticket_finished_without_an_answer_missed_its_sla(pair: Replicas) -> None:
    customer_id = await pair.a.new_customer()
    pair.clock.now = START
    # closed five minutes in, long before its first-response target: still nobody answered
    unanswered = await new_ticket(pair, customer_id)
    pair.clock.advance(minutes=5)
    closed = await pair.a.one(STATUS, {"id": unanswered["id"], "status": "CLOSED"})
    assert closed["sla"]["state"] == "BREACHED"
    assert closed["sla"]["firstResponseBreached"] and closed["sla"]["resolutionBreached"]
    # resolved in time without a reply: the resolution target met, the first response missed
    silent = await new_ticket(pair, customer_id, assigneeId="wu")
    resolved = await pair.a.one(
        STATUS, {"id": silent["id"], "status": "RESOLVED", "resolution": "远程重启"}
    )
    assert resolved["sla"]["firstRespondedAt"] is None
    assert resolved["sla"]["firstResponseBreached"] and not resolved["sla"]["resolutionBreached"]
    assert resolved["sla"]["state"] == "BREACHED"
