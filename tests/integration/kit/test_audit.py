"""Audit log against the embedded MongoDB: automatic records of mutations and refusals through
a real customer subgraph, the hash chain under concurrency, the verifier command catching an
edited, a deleted and a truncated record, and retention keeping the chain verifiable."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from crm_kit.audit import AuditLog, Entry, Who, mask
from crm_kit.audit import __main__ as audit_cli
from crm_kit.audit.chain import record_hash
from crm_kit.audit.store import AUDIT_LOG
from crm_kit.events import utcnow
from tests.harness import serve_service
from tests.support import auth_headers, gql, unique

pytestmark = pytest.mark.integration

CREATE = """mutation($n: String!, $p: [String!]) {
  createCustomer(input: {kind: INDIVIDUAL, name: $n, phones: $p}) { id }
}"""


@pytest.fixture
async def mongo(mongodb_uri: str) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    try:
        yield client
    finally:
        await client.close()


def _verify(mongodb_uri: str, database: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "CUSTOMER_MONGODB_DATABASE": database}
    return subprocess.run(
        [sys.executable, "-m", "crm_kit.audit", "verify", "--service", "customer"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_mutations_and_refusals_are_recorded_with_caller_and_client(
    mongodb_uri: str, amqp_url: str, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    async with serve_service("customer", mongodb_uri, amqp_url) as customer:
        settings, http, url = customer.settings, customer.http, customer.graphql
        headers = {**auth_headers(sub="alice", roles=("ADMIN",)), "X-Forwarded-For": "203.0.113.7"}
        created = await gql(http, url, CREATE, {"n": "审计 测试", "p": ["+8613812345678"]}, headers)
        customer_id = created["data"]["createCustomer"]["id"]
        bad = await gql(http, url, CREATE, {"n": "", "p": []}, headers)
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        denied = await gql(
            http,
            url,
            "{ possibleDuplicates(first: 5) { totalCount } }",
            headers=auth_headers(sub="ana", roles=("ANALYST",)),
        )
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        anonymous = await gql(http, url, "{ customers(first: 1) { totalCount } }", headers={})
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    records = [d async for d in mongo[settings.mongodb_database][AUDIT_LOG].find().sort("seq", 1)]
    by_action: dict[str, list[dict[str, Any]]] = {}
    for doc in records:
        by_action.setdefault(f"{doc['action']}/{doc['outcome']}", []).append(doc)
    service = settings.service_name
    ok = by_action["customer.created/OK"]  # the customer service's explicit record
    assert len(ok) == 1 and f"{service}.createCustomer/OK" not in by_action
    assert ok[0]["target"] == {"type": "Customer", "id": customer_id}
    phones = [c for c in ok[0]["changes"] if c["field"] == "phones"]
    assert phones == [{"field": "phones", "before": None, "after": ["138****5678"]}]
    assert ok[0]["actor"] == "alice" and ok[0]["roles"] == ["ADMIN"]
    assert ok[0]["client"] == "203.0.113.7" and ok[0]["request_id"]
    assert len(by_action[f"{service}.createCustomer/BAD_USER_INPUT"]) == 1
    forbidden = by_action["authorization.denied/FORBIDDEN"]
    assert forbidden[0]["actor"] == "ana" and forbidden[0]["target"]["id"] == "possibleDuplicates"
    assert by_action["authorization.denied/UNAUTHENTICATED"][0]["actor"] == "anonymous"
    assert [d["seq"] for d in records] == list(range(1, len(records) + 1))
    assert all(record_hash(d) == d["hash"] for d in records)
    assert "13812345678" not in repr(records)


async def test_concurrent_appends_form_one_unbroken_chain(
    mongodb_uri: str, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    log = AuditLog(mongo, mongo[unique("audit")], "customer")
    await asyncio.gather(
        *(log.append_now([Entry("test.write", "Thing", str(i))], Who("t")) for i in range(12))
    )
    result = await log.verify()
    assert result.ok, result.broken
    assert (result.checked, result.last_seq) == (12, 12)


async def test_verifier_reports_edited_deleted_and_truncated_records(
    mongodb_uri: str,
    mongo: AsyncMongoClient[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = unique("audit")
    db = mongo[database]
    log = AuditLog(mongo, db, "customer")
    for i in range(6):
        await log.append_now(
            [Entry("customer.update", "Customer", f"c{i}")], Who("alice", ("ADMIN",), "r1", "h")
        )
    monkeypatch.setenv("MONGODB_URI", mongodb_uri)
    monkeypatch.setenv("CUSTOMER_MONGODB_DATABASE", database)
    verify = argparse.Namespace(command="verify", service="customer")

    assert await audit_cli._run(verify) == 0  # the command's own code path, in process
    assert "6 records" in capsys.readouterr().out

    records = db[AUDIT_LOG]
    original = await records.find_one({"seq": 3})
    assert original is not None
    await records.update_one({"seq": 3}, {"$set": {"actor": "mallory"}})
    edited = _verify(mongodb_uri, database)  # and once as an operator runs it
    assert edited.returncode == 1
    assert "record 3" in edited.stderr and "edited" in edited.stderr

    await records.replace_one({"_id": original["_id"]}, original)
    assert await audit_cli._run(verify) == 0
    capsys.readouterr()
    await records.delete_one({"seq": 4})
    assert await audit_cli._run(verify) == 1
    assert "record 4 is missing" in capsys.readouterr().err

    await records.delete_many({"seq": {"$gte": 4}})
    truncated = await log.verify()
    assert truncated.broken is not None and truncated.broken.seq == 4
    assert "missing" in truncated.broken.reason


async def test_retention_prunes_old_records_and_keeps_the_chain_verifiable(
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    db = mongo[unique("audit")]
    log = AuditLog(mongo, db, "customer")
    await log.ensure_head()
    old = utcnow() - timedelta(days=500)
    async with mongo.start_session() as session:
        await session.with_transaction(
            lambda s: log.append([Entry("old", "T", str(i)) for i in range(5)], Who(), s, at=old)
        )
    await log.append_now([Entry("recent", "T", "x"), Entry("recent", "T", "y")], Who())
    pruned = await log.prune(timedelta(days=400))
    assert (pruned.removed, pruned.checkpoint_seq) == (5, 5)
    assert await db[AUDIT_LOG].count_documents({}) == 2
    result = await log.verify()
    assert result.ok and (result.first_seq, result.last_seq, result.checked) == (5, 7, 2)
    await db[AUDIT_LOG].delete_one({"seq": 6})
    assert (await log.verify()).broken is not None


def test_sensitive_values_are_masked_by_field_name() -> None:
    assert mask("phones", ["+8613812345678"]) == ["138****5678"]
    assert mask("email", "zhang.wei@example.com") == "z***@example.com"
    assert mask("id_card_number", "11010519491231002X") == "110105********002X"
    assert mask("contacts", [{"name": "王芳", "phones": ["13900001111"]}]) == [
        {"name": "王**", "phones": ["139****1111"]}
    ]
    assert mask("addresses", [{"province": "北京市", "street": "长安街 1 号"}]) == [
        {"province": "北京市", "street": "***"}
    ]
    assert mask("note", "call 13812345678 today") == "call 138****5678 today"
    assert mask("apiToken", "abc") == "***"
    assert mask("stage", "LEAD") == "LEAD" and mask("version", 3) == 3
