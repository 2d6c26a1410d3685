"""A notification service with a real SMTP sink and a local webhook receiver, over HTTP."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import PyMongoError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_kit.events import CloudEvent
from crm_notification.channels.sms import LoggingSmsProvider
from crm_notification.settings import NotificationSettings
from tests.harness import ServiceHandle, serve_service
from tests.support import auth_headers, eventually, gql, ok, serve_app

PREFERENCES = """
mutation($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) {
    language timeZone digest email phone quietHours { start end }
    channels { type channels }
  }
}"""

DELIVERIES = """
query($filter: NotificationDeliveryFilterInput, $first: Int) {
  notificationDeliveries(filter: $filter, first: $first) {
    totalCount
    edges { node {
      id channel target eventId eventType notificationType status attempts maxAttempts
      lastError address createdAt nextAttemptAt sentAt deferredReason replayOf
      history { at durationMs ok error } } }
  }
}"""


@dataclass
class Hit:
    at: float
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: answers with the queued status codes, then 200."""

    statuses: list[int] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    url: str = ""

    async def endpoint(self, request: Request) -> Response:
        self.hits.append(Hit(time.monotonic(), dict(request.headers), await request.body()))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response(status_code=status)


@dataclass
class Stack(ServiceHandle):
    receiver: Receiver = field(default_factory=Receiver)
    sms: LoggingSmsProvider = field(default_factory=LoggingSmsProvider)

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, **who: Any
    ) -> dict[str, Any]:
        headers = auth_headers(**who) if who else auth_headers()
        return await gql(self.http, self.graphql, query, variables, headers)

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **who: Any) -> Any:
        return ok(await self.query(query, variables, **who))

    async def set_preferences(self, user: str, **fields: Any) -> dict[str, Any]:
        data = await self.ok(PREFERENCES, {"input": fields}, sub=user, roles=("SALES",))
        result: dict[str, Any] = data["updateNotificationPreferences"]
        return result

    async def publish(self, event: CloudEvent) -> CloudEvent:
        await self.bus.publish(event)
        return event

    async def applied(self, event: CloudEvent) -> None:
        inbox = self.db["inbox"]
        key = f"{self.settings.service_name}:{event.id}"

        async def probe() -> bool:
            try:
                return await inbox.find_one({"_id": key}) is not None
            except PyMongoError:
                return False

        await eventually(probe, timeout=30)

    async def deliveries(self, **filter: Any) -> list[dict[str, Any]]:
        """The newest 100 deliveries of the log matching `filter` (NotificationDeliveryFilterInput
        fields: `statuses`, `channels`, `target`, `created`)."""
        data = await self.ok(DELIVERIES, {"first": 100, "filter": filter})
        return [e["node"] for e in data["notificationDeliveries"]["edges"]]

    async def delivery_of(self, event: CloudEvent, channel: str) -> dict[str, Any]:
        found = [d for d in await self.deliveries(channels=[channel]) if d["eventId"] == event.id]
        assert len(found) == 1, found
        return found[0]

    async def wait_delivery(
        self, event: CloudEvent, channel: str, status: str, timeout: float = 20
    ) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            found = [
                d for d in await self.deliveries(channels=[channel]) if d["eventId"] == event.id
            ]
            return found[0] if found and found[0]["status"] == status else None

        result: dict[str, Any] = await eventually(probe, timeout=timeout)
        return result


FAST: dict[str, Any] = {
    "mail_from": "CRM 通知 <notify@crm.test>",
    "mail_reply_to": "support@crm.test",
    "webhook_allow_private": True,  # the receiver is on loopback
    "webhook_timeout_seconds": 1.0,
    "retry_base_seconds": 0.4,
    "retry_cap_seconds": 5.0,
    "webhook_max_attempts": 4,
    "email_max_attempts": 3,
    "webhook_disable_after_failures": 6,
    "scheduler_poll_seconds": 0.05,
    "scheduler_lease_seconds": 10.0,
    "replica_id": "test-replica",
}


def fast_settings(smtp_port: int, **overrides: Any) -> NotificationSettings:
    return NotificationSettings(**{"smtp_port": smtp_port, **FAST, **overrides})


@asynccontextmanager
async def running_stack(mongodb_uri: str, amqp_url: str, **overrides: Any) -> AsyncIterator[Stack]:
    """The notification service with fast NotificationSettings (`overrides`), an SMTP sink, a
    logging SMS provider and a webhook receiver, its live push listening."""
    receiver = Receiver()
    hook_app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    sms = LoggingSmsProvider()
    async with serve_app(hook_app) as hook_url:
        receiver.url = f"{hook_url}/hook"
        async with serve_service(
            "notification",
            mongodb_uri,
            amqp_url,
            smtp=True,
            notification=FAST | overrides,
            ready=_listening,
            sms_provider=sms,
        ) as handle:
            yield Stack.of(handle, receiver=receiver, sms=sms)


def _listening(app: Starlette) -> Any:
    async def probe() -> bool:
        return bool(app.state.deps.live.listening.is_set())

    return probe


def event(type: str, data: dict[str, Any], subject: str = "") -> CloudEvent:
    return CloudEvent(type=type, source="crm/interaction", subject=subject, data=data)


DUE_AT = "2026-03-01T09:00:00+00:00"
DUE_AT_SHANGHAI = "2026-03-01 17:00"  # how templates show it (default zone Asia/Shanghai)


TASK_TITLE = "回访：确认报价"


def task_due(assignee: str | None, customer: str) -> CloudEvent:
    """As the interaction service publishes it (crm_interaction/events/task_*.py)."""
    task: dict[str, Any] = {
        "id": f"tsk-{time.monotonic_ns()}",
        "customerId": customer,
        "assigneeId": assignee,
        "dueAt": DUE_AT,
        "urgency": "HIGH",
        "status": "OPEN",
        "reminderOffsetsMinutes": [60],
        "createdBy": "mgr-1",
        "version": 1,
    }
    data = {
        "task": task,
        "title": TASK_TITLE,
        "assigneeId": assignee,
        "reminderOffsetMinutes": 60,
        "remindAt": DUE_AT,
    }
    return event("task.due.v1", data, customer)


def ticket(customer: str, assignee: str | None, team: str = "east", **extra: Any) -> dict[str, Any]:
    """A ticket snapshot as in crm_interaction/events/snapshots.py."""
    return {
        "id": f"tkt-{time.monotonic_ns()}",
        "customerId": customer,
        "type": "COMPLAINT",
        "priority": "P1",
        "status": "OPEN",
        "team": team,
        "assigneeId": assignee,
        "createdBy": "mgr-1",
        "createdAt": DUE_AT,
        "firstResponseDueAt": DUE_AT,
        "resolutionDueAt": None,
        "version": 1,
        **extra,
    }
