"""crm_kit.idempotency against the embedded MongoDB: a replay returns the first result, a
different request with the same key is a CONFLICT, concurrent first attempts create once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Conflict
from crm_kit.events import utcnow
from crm_kit.idempotency import (
    KEY_MAX_CHARS,
    IdempotencyGuards,
    Key,
    derived_id,
    ensure_same_request,
    key_for,
)
from crm_kit.mongo import Document, create_client
from crm_kit.uow import Transaction, UnitOfWork
from tests.support import unique

pytestmark = pytest.mark.integration

ALICE = Principal("alice", "Alice", frozenset({Role.SALES}), "east")
BOB = Principal("bob", "Bob", frozenset({Role.SALES}), "east")


@dataclass
class Store:
    uow: UnitOfWork
    db: AsyncDatabase[Document]
    guards: IdempotencyGuards


@pytest.fixture
async def store(mongodb_uri: str) -> AsyncIterator[Store]:
    client = create_client(mongodb_uri, "kit-idempotency-test")
    db = client[unique("idem")]
    yield Store(UnitOfWork(client, db, source="crm/test"), db, IdempotencyGuards(db))
    await client.drop_database(db.name)
    await client.close()


async def _create(store: Store, principal: Principal, key: str | None, name: str) -> str:
    guard = key_for("createThing", principal, key, name)

    async def load(id: str) -> str | None:
        doc = await store.db["things"].find_one({"_id": id})
        return None if doc is None else str(doc["_id"])

    async def write() -> str:
        async def work(tx: Transaction) -> str:
            id = unique("thing")
            await store.guards.claim(guard, id, utcnow(), tx.session)
            await store.db["things"].insert_one({"_id": id, "name": name}, session=tx.session)
            return id

        return await store.uow.run(work)

    return await store.guards.once(guard, "thing", load, write)


def _key(operation: str, principal: Principal, request: str) -> Key:
    key = key_for(operation, principal, "k1", request)
    assert key is not None
    return key


def test_keys_are_scoped_to_caller_and_operation_and_validated() -> None:
    a = _key("createThing", ALICE, "x")
    assert a == _key("createThing", ALICE, "x")
    assert a.guard_id != _key("createThing", BOB, "x").guard_id
    assert a.guard_id != _key("createOther", ALICE, "x").guard_id
    assert a.guard_id == _key("createThing", ALICE, "y").guard_id
    assert a.fingerprint != _key("createThing", ALICE, "y").fingerprint
    assert key_for("createThing", ALICE, None, "x") is None
    with pytest.raises(BadUserInput) as blank:
        key_for("createThing", ALICE, "  ")
    assert blank.value.field_errors[0].code == "REQUIRED"
    with pytest.raises(BadUserInput) as long:
        derived_id("n_", ALICE, "k" * (KEY_MAX_CHARS + 1))
    assert long.value.field_errors[0].code == "TOO_LONG"


def test_derived_ids_are_stable_per_key_and_random_without() -> None:
    assert derived_id("n_", ALICE, "k") == derived_id("n_", ALICE, "k")
    assert derived_id("n_", ALICE, "k") != derived_id("n_", BOB, "k")
    assert derived_id("n_", ALICE, None) != derived_id("n_", ALICE, None)
    ensure_same_request(True, "thing", "n_1")
    with pytest.raises(Conflict) as conflict:
        ensure_same_request(False, "thing", "n_1")
    assert conflict.value.extensions["conflictingId"] == "n_1"


async def test_replay_returns_the_first_result_and_a_different_request_conflicts(
    store: Store,
) -> None:
    first = await _create(store, ALICE, "k1", "one")
    assert await _create(store, ALICE, "k1", "one") == first
    assert await _create(store, BOB, "k1", "one") != first
    assert await _create(store, ALICE, None, "one") != first
    with pytest.raises(Conflict) as conflict:
        await _create(store, ALICE, "k1", "two")
    assert conflict.value.extensions["conflictingId"] == first
    assert await store.db["things"].count_documents({}) == 3


async def test_concurrent_first_attempts_create_once(store: Store) -> None:
    ids = await asyncio.gather(*(_create(store, ALICE, "race", "same") for _ in range(4)))
    assert len(set(ids)) == 1
    assert await store.db["things"].count_documents({}) == 1
