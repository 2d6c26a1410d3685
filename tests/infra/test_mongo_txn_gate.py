"""The embedded MongoDB ends transactions whose client is gone
(crm_dev.mongo.patches.transaction_gate).

Unpatched, mongoeco keeps a SIGKILLed client's open transaction bound to its engine forever
and every later transaction fails. The gate aborts it when the client's connections close,
or after the lifetime limit (MongoDB's transactionLifetimeLimitSeconds; short here), and
answers later commands of the aborted transaction as MongoDB does (NoSuchTransaction, a
TransientTransactionError, so drivers retry the whole transaction).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from crm_dev.mongo.patches.busy_timeout import TIMEOUT_ENV as BUSY_TIMEOUT_ENV
from crm_dev.mongo.patches.transaction_gate import (
    LIFETIME_ENV,
    NO_SUCH_TRANSACTION,
    TransactionGate,
    Turn,
    _busy_as_retryable,
)
from crm_dev.testing import MongoServer
from tests.infra.sqlite_locks import write_lock_held

LIFETIME = 3.0
DB = "gate_guard"
type Client = MongoClient[dict[str, object]]

DYING_CLIENT = textwrap.dedent(
    """
    import os, signal, sys
    from pymongo import MongoClient
    client = MongoClient(sys.argv[1])
    session = client.start_session()
    session.start_transaction()
    client["gate_guard"]["t"].insert_one({"_id": "ghost"}, session=session)
    print("in transaction", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LIFETIME_ENV, str(LIFETIME))
        # SQLite gives up waiting for another connection's write lock after 1 s, not 30 s
        patch.setenv(BUSY_TIMEOUT_ENV, "1")
        mongo = MongoServer(Path(tmp_path_factory.mktemp("mongo-gate")))
        mongo.start()
    try:
        yield mongo
    finally:
        mongo.stop()


@pytest.fixture
def client(server: MongoServer) -> Iterator[Client]:
    mongo: Client = MongoClient(server.uri, timeoutMS=30_000)
    try:
        yield mongo
    finally:
        mongo.close()


def _transaction_insert(client: Client, doc_id: str) -> float:
    """Seconds a whole transaction (one insert) took, waiting for the gate included."""
    began = time.monotonic()
    with client.start_session() as session:
        session.with_transaction(
            lambda s: client[DB]["t"].insert_one({"_id": doc_id}, session=s),
            read_concern=ReadConcern("snapshot"),
            write_concern=WriteConcern("majority"),
        )
    return time.monotonic() - began


def test_sigkilled_clients_transaction_is_aborted_and_others_proceed(
    server: MongoServer, client: Client
) -> None:
    dying = subprocess.run(
        [sys.executable, "-c", DYING_CLIENT, server.uri],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "in transaction" in dying.stdout and dying.returncode < 0, dying.stderr
    took = _transaction_insert(client, "after-kill")
    # the dead client's connections closed: no need to wait for the lifetime limit
    assert took < LIFETIME, f"waited {took:.2f} s for a dead client's transaction"
    ids = {d["_id"] for d in client[DB]["t"].find({"_id": {"$in": ["ghost", "after-kill"]}})}
    assert ids == {"after-kill"}, "the killed client's uncommitted write must be rolled back"


def test_transaction_open_past_the_lifetime_is_aborted_and_its_commit_refused(
    client: Client,
) -> None:
    stalled = client.start_session()
    stalled.start_transaction()
    client[DB]["t"].insert_one({"_id": "stalled"}, session=stalled)
    try:
        took = _transaction_insert(client, "waited")  # waits until the limit aborts `stalled`
        assert LIFETIME * 0.8 <= took < LIFETIME + 5, took
        with pytest.raises(OperationFailure) as refused:
            client[DB]["t"].insert_one({"_id": "stalled-2"}, session=stalled)
        assert refused.value.code == NO_SUCH_TRANSACTION
        assert refused.value.has_error_label("TransientTransactionError")
        stalled.abort_transaction()  # drivers abort after an error: that is accepted
    finally:
        stalled.end_session()
    ids = {d["_id"] for d in client[DB]["t"].find({"_id": {"$in": ["stalled", "waited"]}})}
    assert ids == {"waited"}


async def test_transaction_whose_client_died_while_queued_is_aborted_once_it_gets_the_gate() -> (
    None
):
    """The race behind a stalled engine: a client starts a transaction, its command queues
    behind another transaction, the client dies (connection closed) before the gate opens."""
    gate = TransactionGate(lifetime=60)
    aborted: list[str] = []
    first = await gate.enter(
        "a", in_transaction=True, starts_transaction=True, txn_number=1, connection_id=1
    )
    await gate.leave(first, "a")
    queued = asyncio.ensure_future(
        gate.enter(
            "b",
            in_transaction=True,
            starts_transaction=True,
            txn_number=7,
            connection_id=2,
            abort=lambda: aborted.append("b"),
        )
    )
    await asyncio.sleep(0.05)
    assert not queued.done(), "b waits while a's transaction is open"
    await gate.connection_closed(2)  # b's client is gone
    commit = await gate.enter("a", in_transaction=True, starts_transaction=False, connection_id=1)
    await gate.leave(commit, "a", ends_transaction=True)
    turn = await asyncio.wait_for(queued, 5)
    assert turn is Turn.OWNER and gate.owner == "b"
    await gate.leave(turn, "b")  # its first command ran; nobody will ever commit it
    assert aborted == ["b"] and gate.owner is None and gate.aborted_total == 1
    late = await gate.enter("b", in_transaction=True, starts_transaction=False, txn_number=7)
    assert late is Turn.ABORTED, "later commands of the aborted transaction are refused"
    other = await gate.enter("c", in_transaction=False, starts_transaction=False)
    assert other is Turn.COMMAND, "the engine is free again"
    await gate.leave(other, "c")


async def test_a_live_transaction_survives_one_of_its_connections_closing() -> None:
    gate = TransactionGate(lifetime=60)
    aborted: list[str] = []
    start = await gate.enter(
        "a",
        in_transaction=True,
        starts_transaction=True,
        txn_number=1,
        connection_id=1,
        abort=lambda: aborted.append("a"),
    )
    await gate.leave(start, "a")
    more = await gate.enter("a", in_transaction=True, starts_transaction=False, connection_id=2)
    await gate.leave(more, "a")
    await gate.connection_closed(1)  # the pool dropped one connection; the client lives on
    assert aborted == [] and gate.owner == "a"
    commit = await gate.enter("a", in_transaction=True, starts_transaction=False, connection_id=2)
    await gate.leave(commit, "a", ends_transaction=True)
    assert aborted == [] and gate.owner is None


async def test_commands_waiting_behind_a_transaction_go_before_the_next_transaction() -> None:
    """A stream of transactions must not starve reads (a readiness ping, a lease renewal)."""
    gate = TransactionGate(lifetime=60)
    order: list[str] = []
    first = await gate.enter("t1", in_transaction=True, starts_transaction=True, txn_number=1)
    await gate.leave(first, "t1")

    async def transaction(session: str) -> None:
        turn = await gate.enter(session, in_transaction=True, starts_transaction=True)
        order.append(session)
        await gate.leave(turn, session, ends_transaction=True)

    async def command(session: str) -> None:
        turn = await gate.enter(session, in_transaction=False, starts_transaction=False)
        order.append(session)
        await asyncio.sleep(0.01)
        await gate.leave(turn, session)

    waiting = [asyncio.ensure_future(transaction("t2"))]
    await asyncio.sleep(0.02)
    waiting += [asyncio.ensure_future(command("ping")), asyncio.ensure_future(command("lease"))]
    await asyncio.sleep(0.02)
    waiting.append(asyncio.ensure_future(transaction("t3")))
    await asyncio.sleep(0.02)
    assert order == [], "everything waits while t1 is open"
    end = await gate.enter("t1", in_transaction=True, starts_transaction=False)
    await gate.leave(end, "t1", ends_transaction=True)
    await asyncio.wait_for(asyncio.gather(*waiting), 5)
    assert sorted(order[:2]) == ["lease", "ping"], order
    assert sorted(order[2:]) == ["t2", "t3"], order


def test_database_locked_in_a_transaction_is_a_write_conflict_the_driver_retries(
    server: MongoServer, client: Client
) -> None:
    client[DB]["locked"].insert_one({"_id": "exists"})  # the collection exists beforehand
    with write_lock_held(server, 6.5), client.start_session() as session:
        session.with_transaction(
            lambda s: client[DB]["locked"].insert_one({"_id": "in-transaction"}, session=s)
        )
    ids = {d["_id"] for d in client[DB]["locked"].find({})}
    assert ids == {"exists", "in-transaction"}


def test_busy_reply_is_relabelled_only_inside_a_transaction() -> None:
    from mongoeco.wire.protocol import decode_op_msg, encode_op_msg_response, parse_message_header

    def reply(document: dict[str, object]) -> bytes:
        return encode_op_msg_response(document, request_id=5, response_to=9)

    def body(raw: bytes | None) -> dict[str, object]:
        assert raw is not None
        return decode_op_msg(parse_message_header(raw[:16]), raw[16:]).body

    busy = reply({"ok": 0.0, "errmsg": "database is locked"})
    in_txn = body(_busy_as_retryable(busy, {"update": "t"}, in_transaction=True))
    assert in_txn["code"] == 112 and in_txn["errorLabels"] == ["TransientTransactionError"]
    assert _busy_as_retryable(busy, {"update": "t"}, in_transaction=False) == busy
    other = reply({"ok": 0.0, "errmsg": "E11000 duplicate key"})
    assert _busy_as_retryable(other, {"insert": "t"}, in_transaction=True) == other
