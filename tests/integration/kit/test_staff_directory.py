"""crm_kit.staff against the embedded MongoDB: a first request records the caller from the
token's claims; a kept record is never overwritten by claims, a followed one is; concurrent
first requests create one record."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from crm_kit.auth import Principal, Role
from crm_kit.events import utcnow
from crm_kit.mongo import Document, create_client
from crm_kit.staff import StaffClaims, StaffDirectory
from tests.support import unique

pytestmark = pytest.mark.integration


def shape(principal: Principal, at: datetime) -> Document:
    claims = StaffClaims.of(principal)
    return {"name": claims.name, "team": claims.team, "roles": list(claims.roles)}


@pytest.fixture
async def staff(mongodb_uri: str) -> AsyncIterator[AsyncCollection[Document]]:
    client = create_client(mongodb_uri, "kit-staff-test")
    db = client[unique("staff")]
    yield db["staff"]
    await client.drop_database(db.name)
    await client.close()


async def test_a_kept_record_is_created_once_and_never_overwritten_by_claims(
    staff: AsyncCollection[Document],
) -> None:
    directory = StaffDirectory(staff, shape)
    alice = Principal("alice", "Alice", frozenset({Role.SALES}), "east")
    await asyncio.gather(*(directory.provision(alice, utcnow()) for _ in range(5)))
    assert await staff.find_one({"_id": "alice"}, {"_id": 0}) == {
        "name": "Alice",
        "team": "east",
        "roles": ["SALES"],
    }
    await StaffDirectory(staff, shape).provision(
        Principal("alice", "Alice B", frozenset({Role.MANAGER}), "west"), utcnow()
    )
    assert (await staff.find_one({"_id": "alice"}) or {})["team"] == "east"
    assert await staff.count_documents({}) == 1


async def test_a_followed_record_takes_every_change_of_claims(
    staff: AsyncCollection[Document],
) -> None:
    directory = StaffDirectory(staff, shape, follow_claims=True)
    await directory.provision(Principal("bob", "Bob", frozenset({Role.SALES}), "east"), utcnow())
    await directory.provision(
        Principal("bob", "Bob", frozenset({Role.SALES, Role.MANAGER}), "west"), utcnow()
    )
    assert await staff.find_one({"_id": "bob"}, {"_id": 0}) == {
        "name": "Bob",
        "team": "west",
        "roles": ["MANAGER", "SALES"],
    }


async def test_a_record_written_by_other_means_is_not_provisioned_again(
    staff: AsyncCollection[Document],
) -> None:
    directory = StaffDirectory(staff, shape)
    directory.recorded("carol")
    await directory.provision(Principal("carol", "Carol", frozenset({Role.SALES}), ""), utcnow())
    assert await staff.find_one({"_id": "carol"}) is None
    assert not await directory.exists("carol")
