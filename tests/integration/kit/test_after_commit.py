"""After-commit callbacks of a unit of work, on the embedded MongoDB: they run once the
transaction has committed, never for one that aborts, and only for the attempt that commits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pymongo.errors import OperationFailure

from crm_kit.mongo import create_client
from crm_kit.uow import Transaction, UnitOfWork
from tests.support import unique

pytestmark = pytest.mark.integration


@pytest.fixture
async def uow(mongodb_uri: str) -> AsyncIterator[UnitOfWork]:
    client = create_client(mongodb_uri, "kit-test")
    db = client[unique("after_commit")]
    yield UnitOfWork(client, db, source="crm/test")
    await client.drop_database(db.name)
    await client.close()


async def test_callbacks_run_after_the_commit_and_see_its_writes(uow: UnitOfWork) -> None:
    seen: list[int] = []

    async def work(tx: Transaction) -> None:
        await uow.db.items.insert_one({"_id": "a"}, session=tx.session)
        tx.after_commit(lambda: seen.append(1))
        assert seen == []  # not before the commit

    await uow.run(work)
    assert seen == [1]
    assert await uow.db.items.count_documents({}) == 1


async def test_an_aborted_transaction_runs_none(uow: UnitOfWork) -> None:
    seen: list[int] = []

    async def work(tx: Transaction) -> None:
        tx.after_commit(lambda: seen.append(1))
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await uow.run(work)
    assert seen == []


async def test_a_retried_transaction_runs_only_the_committed_attempts(uow: UnitOfWork) -> None:
    seen: list[int] = []
    attempts = 0

    async def work(tx: Transaction) -> None:
        nonlocal attempts
        attempts += 1
        tx.after_commit(lambda n=attempts: seen.append(n))
        if attempts == 1:
            error = OperationFailure("write conflict", code=112)
            error._error_labels = {"TransientTransactionError"}
            raise error

    await uow.run(work)
    assert attempts == 2 and seen == [2]
