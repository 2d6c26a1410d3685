"""An import job survives a restart: the next process takes the job's lease and resumes at
the first unfinished batch; rows already written are not written twice."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from pymongo import AsyncMongoClient

from tests.harness import serve_service
from tests.support import auth_headers, eventually, service_settings

pytestmark = pytest.mark.integration

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
UPLOAD = "mutation($f: Upload!) { importCustomers(file: $f) { id totalRows } }"
ROWS = 120  # 60 batches of 2: the first process cannot finish them before it stops
MAP = '{"0": ["variables.f"]}'


async def test_a_job_interrupted_by_a_restart_is_resumed_without_duplicates(
    mongodb_uri: str, amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOMER_IMPORT_BATCH_ROWS", "2")
    settings = service_settings("customer", mongodb_uri, amqp_url)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    db = client[settings.mongodb_database]
    text = "客户类型,客户名称,手机号码\n" + "".join(
        f"个人,续传{i},1370013{7000 + i}\n" for i in range(ROWS)
    )
    operations = {"query": UPLOAD, "variables": {"f": None}}
    async with httpx.AsyncClient(timeout=60) as http:
        async with serve_service("customer", mongodb_uri, amqp_url, settings=settings) as first:
            response = await http.post(
                first.graphql,
                data={
                    "operations": orjson.dumps(operations).decode(),
                    "map": '{"0":["variables.f"]}',
                },
                files={"0": ("c.csv", text.encode(), "text/csv")},
                headers=ADMIN,
            )
            job_id = response.json()["data"]["importCustomers"]["id"]

            async def started() -> Any:
                doc = await db["customer_jobs"].find_one({"_id": job_id})
                return doc and doc["processed"] >= 2

            await eventually(started, timeout=60, interval=0.05)
        # the first process stopped (its lease released); the job is unfinished
        stopped = await db["customer_jobs"].find_one({"_id": job_id})
        assert stopped is not None and stopped["status"] == "RUNNING"
        assert 2 <= stopped["processed"] < ROWS
        async with serve_service("customer", mongodb_uri, amqp_url, settings=settings):

            async def finished() -> Any:
                doc = await db["customer_jobs"].find_one({"_id": job_id})
                return doc if doc and doc["status"] == "COMPLETED" else None

            done = await eventually(finished, timeout=90, interval=0.2)
    assert (done["processed"], done["created"], done["failed"]) == (ROWS, ROWS, 0)
    names = [d["name"] async for d in db["customers"].find({}, {"name": 1})]
    assert sorted(names) == sorted(f"续传{i}" for i in range(ROWS))  # each exactly once
    events = await db["outbox"].count_documents({"type": "customer.import_finished.v1"})
    assert events == 1
    await client.close()
