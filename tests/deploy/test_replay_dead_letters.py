"""deploy/tools/replay_dead_letters.py against the real broker: replays selected dead letters
into the work queue with the attempt counter reset, leaves the others, dry-run moves nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import aio_pika
import pytest

from tests.deploy.k8s_support import K8S
from tests.support import unique

pytestmark = pytest.mark.integration

TOOL = K8S.parent / "tools" / "replay_dead_letters.py"


async def run_tool(*args: str) -> tuple[dict[str, int], str]:
    proc = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(TOOL), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    first, *rest = proc.stdout.splitlines()
    return json.loads(first), "\n".join(rest)


async def drain(
    channel: aio_pika.abc.AbstractChannel, name: str
) -> list[aio_pika.abc.AbstractIncomingMessage]:
    queue = await channel.declare_queue(name, passive=True)
    got: list[aio_pika.abc.AbstractIncomingMessage] = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        got.append(message)
    return got


async def test_replay_moves_selected_dead_letters_back(amqp_url: str) -> None:
    service = unique("replay")
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for name in (f"{service}.events", f"{service}.events.dlq"):
            await channel.declare_queue(name, durable=True)
        kinds = ["customer.updated.v1", "ticket.created.v1", "customer.updated.v1"]
        for i, kind in enumerate(kinds):
            body = json.dumps({"id": f"e{i}", "type": kind, "data": {}}).encode()
            await channel.default_exchange.publish(
                aio_pika.Message(
                    body,
                    type=kind,
                    message_id=f"e{i}",
                    headers={"x-crm-attempt": 5, "x-crm-last-error": "KeyError: 'x'"},
                ),
                routing_key=f"{service}.events.dlq",
            )

        preview, by_type = await run_tool("--url", amqp_url, "--service", service, "--dry-run")
        assert preview == {"would replay": 3, "left_in_dlq": 0}
        assert "customer.updated.v1: 2" in by_type and "ticket.created.v1: 1" in by_type
        assert await drain(channel, f"{service}.events") == []

        moved, _ = await run_tool(
            "--url", amqp_url, "--service", service, "--type", "customer.updated.v1"
        )
        assert moved == {"replayed": 2, "left_in_dlq": 1}
        replayed = await drain(channel, f"{service}.events")
        assert sorted(m.message_id or "" for m in replayed) == ["e0", "e2"]
        for message in replayed:
            headers = message.headers or {}
            assert headers["x-crm-attempt"] == 1
            assert headers["x-crm-replayed-from"] == f"{service}.events.dlq"
            assert headers["x-crm-dead-letter-error"] == "KeyError: 'x'"
            assert json.loads(message.body)["type"] == "customer.updated.v1"
        left = await drain(channel, f"{service}.events.dlq")
        assert [m.message_id for m in left] == ["e1"]
    finally:
        for name in (f"{service}.events", f"{service}.events.dlq"):
            cleanup = await connection.channel()
            await cleanup.queue_delete(name)
        await connection.close()
