"""Data protection through the whole system: three subgraphs and the gateway on the real
broker and the embedded MongoDB.

One customer with an ID-card number, a phone and an email goes through create, search,
duplicate check, update, assignment, an interaction and erasure. Then:
- the MongoDB storage files (SQLite under the embedded server's data dir, all three
  services' databases) hold no plaintext ID number or phone — while they do hold the
  customer's name, so the scan sees document content;
- every log record of the run (services and gateway) and every event published hold neither;
- the audit logs recorded the changes (values masked) and the erasure in all three services,
  are readable by ADMIN only, and their chains verify;
- after erasure no service returns or stores the customer's personal content.

Key rotation re-encrypts stored records (and seals records written before contact data was
encrypted) while another writer keeps updating them; afterwards the old key can be dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from crm_customer import rotate_keys
from crm_customer.customers import model as domain
from crm_customer.customers.documents import from_document, to_document
from crm_customer.customers.model import NewCustomer
from crm_customer.customers.store import CUSTOMERS
from crm_customer.customers.validators import id_card_check_digit
from crm_customer.customers.values import CustomerKind
from crm_customer.duplicates.store import MATCH_KEYS
from crm_customer.protection.crypto import DataProtector
from crm_dev.testing import MongoServer
from crm_kit.audit import AuditLog
from tests.harness import SystemHandle, serve_system
from tests.support import (
    auth_headers,
    eventually,
    unique,
)

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
SALES = auth_headers(sub="bob", roles=("SALES",), team="east")

CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }"""
UPDATE = """mutation($id: ID!, $v: Int!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, expectedVersion: $v, input: $input) { id version } }"""
ASSIGN = """mutation($id: ID!) {
  assignCustomer(id: $id, ownerId: "bob", team: "east") { ownerId } }"""
LOG = """mutation($c: ID!) { logInteraction(input: {customerId: $c, channel: PHONE,
  direction: OUTBOUND, content: "Called about the renewal"}) { id } }"""
SEARCH = """query($t: String!) { customers(filter: {text: $t}, first: 20) {
  edges { node { id } } } }"""
ERASE = """mutation($id: ID!) { eraseCustomer(id: $id, reason: "PIPL request") { id } }"""
AUDIT = """query($f: AuditLogFilterInput) { %s(filter: $f, first: 20) { totalCount
  edges { node { seq actor action outcome client target { type id }
    changes { field before after afterJson } } } } }"""


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(
        mongodb_uri,
        amqp_url,
        capture_events=True,
        capture_logs=True,
        subgraph_timeout_seconds=10.0,
    ) as system:
        yield system


def _id_card() -> str:
    first17 = f"110101{random.randint(1960, 1999)}0{random.randint(1, 9)}1{random.randint(0, 9)}"
    first17 += f"{random.randint(100, 999)}"
    return first17 + id_card_check_digit(first17)


def _storage_bytes(server: MongoServer) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(Path(server.data_dir).rglob("*")) if p.is_file())


def _secrets(phone: str, id_card: str) -> list[str]:
    national = phone.removeprefix("+86")
    return [national, phone, f"86{national}", id_card, id_card.lower(), id_card[:17]]


async def _audited_and_refused(system: SystemHandle, cid: str) -> None:
    # (3) audit: ADMIN reads masked before/after; others are refused (and that is recorded)
    audit = await system.gql(AUDIT % "customerAuditLog", {"f": {"targetId": cid}})
    assert "errors" not in audit, audit
    records = audit["data"]["customerAuditLog"]["edges"]
    assert audit["data"]["customerAuditLog"]["totalCount"] == len(records)  # one page of them
    actions = {r["node"]["action"] for r in records}
    assert {"customer.created", "customer.updated", "customer.assigned"} <= actions
    phones = [
        c
        for r in records
        for c in r["node"]["changes"]
        if c["field"] == "phones" and r["node"]["action"] == "customer.updated"
    ]
    assert phones and "139****" in str(phones[0]["after"])  # a JSON value, masked as stored
    assert "139****" in phones[0]["afterJson"]  # the deprecated text form says the same
    assert all(r["node"]["actor"] == "alice" and r["node"]["client"] for r in records)
    refused = await system.gql(AUDIT % "customerAuditLog", {"f": None}, headers=SALES)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def _erased_everywhere(
    system: SystemHandle, db: Any, databases: dict[str, Any], cid: str, name: str
) -> None:
    # Erasure: the customer service keeps a tombstone; the others drop personal content.
    assert "errors" not in await system.gql(ERASE, {"id": cid})

    async def erased_everywhere() -> bool:
        interaction = await databases["interaction"]["interactions"].find_one({"customerId": cid})
        note = await databases["notification"]["notifications"].find_one({"customer_id": cid})
        return bool(
            interaction
            and interaction["content"] == ""
            and note
            and note["title"] == "[erased]"
            and name not in note["body"]
        )

    assert await eventually(erased_everywhere, timeout=30)
    stored = await databases["customer"]["customers"].find_one({"_id": cid})
    assert stored is not None and stored["erased"] and name not in repr(stored)
    for service in ("interaction", "notification"):
        field = f"{service}AuditLog"
        body = await system.gql(AUDIT % field, {"f": {"action": f"{service}.customer_erased"}})
        targets = [e["node"]["target"]["id"] for e in body["data"][field]["edges"]]
        assert cid in targets, body
    for service, database in databases.items():
        log = AuditLog(db, database, system.settings[service].service_name)
        verified = await log.verify()
        assert verified.ok and verified.checked > 0, (service, verified)


async def test_no_plaintext_personal_data_in_storage_logs_or_events_and_erasure_everywhere(
    system: SystemHandle, mongodb_uri: str, mongo_server: MongoServer | None
) -> None:
    national = f"139{random.randint(10_000_000, 99_999_999)}"
    phone, id_card = f"+86{national}", _id_card()
    name = f"Probe {unique('name')}"
    made = await system.gql(
        CREATE,
        {
            "input": {
                "kind": "INDIVIDUAL",
                "name": name,
                "phones": [national],
                "emails": [f"{unique('p')}@example.com"],
                "idCardNumber": id_card,
                "addresses": [{"province": "北京市", "street": "长安街 1 号"}],
            }
        },
    )
    assert "errors" not in made, made
    cid = made["data"]["createCustomer"]["id"]

    # Search and duplicate detection still work on the sealed values.
    for text in (national, national[-4:], national[:7]):
        found = await system.gql(SEARCH, {"t": text})
        assert cid in [e["node"]["id"] for e in found["data"]["customers"]["edges"]], text
    duplicate = await system.gql(
        CREATE, {"input": {"kind": "INDIVIDUAL", "name": "Other", "phones": [phone]}}
    )
    assert duplicate["errors"][0]["extensions"]["code"] == "CONFLICT"
    updated = await system.gql(
        UPDATE, {"id": cid, "v": 1, "input": {"phones": [national, "13700137000"]}}
    )
    assert "errors" not in updated, updated
    assert "errors" not in await system.gql(ASSIGN, {"id": cid})
    assert "errors" not in await system.gql(LOG, {"c": cid})

    db = AsyncMongoClient[dict[str, Any]](mongodb_uri, tz_aware=True)
    databases = {n: db[s.mongodb_database] for n, s in system.settings.items()}

    async def notified() -> bool:
        return (
            await databases["notification"]["notifications"].count_documents({"customer_id": cid})
            > 0
        )

    assert await eventually(notified, timeout=30)
    try:
        # (1) storage files: the name is there (the scan sees content), no ID number or phone
        if mongo_server is not None:
            raw = _storage_bytes(mongo_server)
            assert name.encode() in raw
            for secret in _secrets(phone, id_card):
                assert secret.encode() not in raw, f"{secret} found in the storage files"

        await _audited_and_refused(system, cid)
        await _erased_everywhere(system, db, databases, cid, name)

        # (2) every log line and every published event of the run
        customer_events = [e for e in system.events if cid in e["body"]]
        assert {e["key"] for e in customer_events} >= {
            "customer.created.v1",
            "customer.updated.v1",
            "customer.assigned.v1",
            "customer.erased.v1",
            "interaction.logged.v1",
        }
        everything = "\n".join([*system.logs, *(e["body"] for e in system.events)])
        assert system.logs, "no log records were captured"
        for secret in _secrets(phone, id_card):
            assert secret not in everything, f"{secret} found in logs or events"
    finally:
        await db.close()


K1 = "k1:" + "B" * 43 + "="
K2 = "k2:" + "A" * 43 + "="
BLIND = "C" * 43 + "="


async def _seed_rotation(
    client: Any, database: str, old: DataProtector, now: datetime
) -> list[str]:
    """30 records under the old key, and one from before contact data was sealed."""
    customers = client[database][CUSTOMERS]
    ids = [f"c{i:03d}" for i in range(30)]
    for i, cid in enumerate(ids):
        new = NewCustomer(
            kind=CustomerKind.INDIVIDUAL,
            name=f"客户{i}",
            phones=[f"1380000{i:04d}"],
            id_card_number="11010519491231002X",
        )
        customer = domain.create(new, id=cid, actor="alice", now=now)
        await customers.insert_one(to_document(customer, old))
    # A record from before contact data was sealed: plaintext fields and match keys.
    legacy = to_document(
        domain.create(
            NewCustomer(kind=CustomerKind.INDIVIDUAL, name="旧", phones=["13911112222"]),
            id="legacy",
            actor="alice",
            now=now,
        ),
        old,
    )
    legacy.pop("pii_enc")
    legacy |= {"phones": ["+8613911112222"], "contact_phones": ["+8613911112222"]}
    legacy |= {"emails": [], "contacts": [], "addresses": [], "wechat_id": None}
    await customers.insert_one(legacy)
    await client[database][MATCH_KEYS].insert_one(
        {"_id": "phone:+8613911112222", "ids": ["legacy"]}
    )

    return ids


async def test_key_rotation_reencrypts_online_and_seals_legacy_plaintext(
    mongodb_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = DataProtector.from_config(K1, BLIND)
    ring = DataProtector.from_config(f"{K2},{K1}", BLIND)  # new key first: writes use it
    only_new = DataProtector.from_config(K2, BLIND)
    client = AsyncMongoClient[dict[str, Any]](mongodb_uri, tz_aware=True)
    database = unique("rotation")
    customers = client[database][CUSTOMERS]
    now = datetime.now(UTC)
    try:
        ids = await _seed_rotation(client, database, old, now)

        async def service_writes() -> int:
            """A replica with the new ring updating records while the rotation runs."""
            written = 0
            for cid in ids[::3]:
                doc = await customers.find_one({"_id": cid})
                assert doc is not None
                changed = replace(from_document(doc, ring), version=doc["version"] + 1)
                result = await customers.replace_one(
                    {"_id": cid, "version": doc["version"]}, to_document(changed, ring)
                )
                written += result.modified_count
                await asyncio.sleep(0)
            return written

        rotation = rotate_keys.KeyRotation(client, client[database], ring)
        assert (await rotation.run(batch=7, check_only=True)).remaining == 31
        result, written = await asyncio.gather(rotation.run(batch=7), service_writes())
        assert written == 10
        assert result.customers + result.skipped_changed >= 21
        assert (await rotation.run(batch=7, check_only=True)).remaining == 0

        # The old key can go: every record reads with the new key alone.
        async for doc in customers.find():
            assert ring.key_id_of(doc["pii_enc"]) == "k2"
            restored = from_document(doc, only_new)
            assert restored.phones and restored.phones[0].startswith("+86")
            if doc["_id"] != "legacy":
                assert restored.id_card_number == "11010519491231002X"
        sealed = await customers.find_one({"_id": "legacy"})
        assert sealed is not None and "phones" not in sealed and "contacts" not in sealed
        assert "13911112222" not in repr(sealed)
        keys = [k["_id"] async for k in client[database][MATCH_KEYS].find({"ids": "legacy"})]
        assert keys == [f"phone:{ring.phone_index('+8613911112222')}"]

        # The command itself, as an operator runs it with the old key removed.
        monkeypatch.setenv("MONGODB_URI", mongodb_uri)
        monkeypatch.setenv("CUSTOMER_MONGODB_DATABASE", database)
        monkeypatch.setenv("CUSTOMER_DATA_KEYS", K2)
        monkeypatch.setenv("CUSTOMER_BLIND_INDEX_KEY", BLIND)
        args = argparse.Namespace(batch=50, check=True)
        assert await rotate_keys._main(args) == 0
    finally:
        await client.drop_database(database)
        await client.close()
