"""createWebhookSubscription with an `idempotencyKey`: a retry (also a concurrent one) returns
the first subscription and its signing secret and registers nothing new; the same key with a
different request is a CONFLICT naming the first subscription; keys are per caller."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.notification.harness import Stack, running_stack

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CREATE_HOOK = """
mutation($input: WebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { secret subscription { id url eventTypes } }
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Stack]:
    async with running_stack(mongodb_uri, amqp_url) as s:
        yield s


def hook(stack: Stack, key: str | None, events: tuple[str, ...] = ("task.due.v1",)) -> Any:
    return {"input": {"url": stack.receiver.url, "eventTypes": list(events), "idempotencyKey": key}}


async def hooks_count(stack: Stack) -> int:
    return int(await stack.db["webhooks"].count_documents({}))


async def test_the_same_key_registers_one_webhook_and_returns_its_secret(stack: Stack) -> None:
    key = f"hook-{uuid.uuid4().hex[:8]}"
    before = await hooks_count(stack)
    bodies = [
        *await asyncio.gather(
            stack.query(CREATE_HOOK, hook(stack, key)), stack.query(CREATE_HOOK, hook(stack, key))
        ),
        await stack.query(CREATE_HOOK, hook(stack, key)),
    ]
    created = [b["data"]["createWebhookSubscription"] for b in bodies]
    assert len({c["subscription"]["id"] for c in created}) == 1, bodies
    assert len({c["secret"] for c in created}) == 1, "the retry gets the secret of the first"
    assert await hooks_count(stack) == before + 1

    changed = await stack.query(CREATE_HOOK, hook(stack, key, ("ticket.created.v1",)))
    error = changed["errors"][0]["extensions"]
    assert error["code"] == "CONFLICT"
    assert error["conflictingId"] == created[0]["subscription"]["id"]
    other_admin = await stack.query(CREATE_HOOK, hook(stack, key), sub="root2", roles=("ADMIN",))
    other_id = other_admin["data"]["createWebhookSubscription"]["subscription"]["id"]
    assert other_id != created[0]["subscription"]["id"], "keys are per caller"
    assert await hooks_count(stack) == before + 2


async def test_without_a_key_every_request_registers_a_webhook(stack: Stack) -> None:
    before = await hooks_count(stack)
    first = await stack.ok(CREATE_HOOK, hook(stack, None))
    second = await stack.ok(CREATE_HOOK, hook(stack, None))
    ids = {d["createWebhookSubscription"]["subscription"]["id"] for d in (first, second)}
    assert len(ids) == 2 and await hooks_count(stack) == before + 2


async def test_a_blank_key_is_bad_user_input(stack: Stack) -> None:
    before = await hooks_count(stack)
    body = await stack.query(CREATE_HOOK, hook(stack, " "))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await hooks_count(stack) == before
