"""Make the embedded server wait for a transaction instead of failing everyone else, and end
transactions whose client is gone.

Why: mongoeco's SQLite engine runs one transaction at a time and, while a session owns it,
answers every command of every other session with "SQLiteEngine has an active transaction
bound to another session". A real MongoDB runs them concurrently, so services written for it
(an outbox relay marking entries sent while a request commits, two requests at once) would
see spurious failures here. And mongoeco never ends a transaction by itself: a client killed
mid-transaction (SIGKILL, crash) left it bound for good, so every later transaction failed.

What: wrap the proxy's request dispatch with a gate keyed by the command's ``lsid``. A
command that starts a transaction takes the gate; commands of other sessions wait
(asynchronously) until that transaction commits or aborts. The gate is released on
``commitTransaction``/``abortTransaction``. A transaction is aborted by the server, as MongoDB
does, when

- every connection that carried one of its commands has closed (its client died), or
- it has been open longer than the lifetime limit (MongoDB's
  ``transactionLifetimeLimitSeconds``, 60 s by default; ``MONGOECO_TRANSACTION_LIFETIME_SECONDS``)
  and another session is waiting for the engine,

never while one of its own commands is running. Later commands of an aborted transaction get
MongoDB's answer, ``NoSuchTransaction`` (251) with the ``TransientTransactionError`` label, so a
driver's ``with_transaction`` retries the whole transaction instead of running the rest of it
outside any transaction.

mongoeco also writes through SQLite connections of its own (change-stream delivery, a heartbeat
thread). When one of them commits between a transaction's first read and its first write, or
holds the lock past the busy timeout, SQLite fails the write with "database is locked" — seen in
CI as a notification scheduler transaction failing after its webhook was sent. MongoDB reports
the same situation as a ``WriteConflict`` that drivers retry; the gate answers it that way.
Embedded development/test server only; production uses MongoDB. Written against mongoeco
4.11.0; it wraps the request dispatch after the count patch (count_pipeline), so it sees the
command the client sent.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

DISPATCH = "mongoeco.wire.proxy.AsyncMongoEcoProxyServer._dispatch_wire_request"
CLOSE = "mongoeco.wire.connections.WireConnectionRegistry.close"
LIFETIME_ENV = switches.TRANSACTION_LIFETIME_SECONDS.name
DEFAULT_LIFETIME_SECONDS = float(switches.TRANSACTION_LIFETIME_SECONDS.default)
_ENDS = frozenset({"commitTransaction", "abortTransaction"})
_REMEMBERED_ABORTS = 1024
_REMEMBERED_CLOSED_CONNECTIONS = 4096
NO_SUCH_TRANSACTION = 251
WRITE_CONFLICT = 112
_BUSY = b"database is locked"

log = logging.getLogger(__name__)


class Turn(enum.Enum):
    """What `TransactionGate.enter` granted; pass it back to `leave`."""

    COMMAND = "command"  # a command outside the open transaction (counted while in flight)
    OWNER = "owner"  # a command of the open transaction
    ABORTED = "aborted"  # a command of a transaction the server already aborted: refuse it


@dataclass
class _Open:
    session: str
    txn_number: Any
    abort: Callable[[], None]
    since: float = field(default_factory=time.monotonic)
    connections: set[int] = field(default_factory=set)
    busy: int = 0


def lifetime_from_env() -> float:
    raw = switches.TRANSACTION_LIFETIME_SECONDS.get()
    try:
        value = float(raw) if raw else DEFAULT_LIFETIME_SECONDS
    except ValueError:
        log.warning("%s=%r is not a number; using %s", LIFETIME_ENV, raw, DEFAULT_LIFETIME_SECONDS)
        return DEFAULT_LIFETIME_SECONDS
    return value if value > 0 else DEFAULT_LIFETIME_SECONDS


class TransactionGate:
    """A phase-fair readers-writer gate: one transaction at a time, never beside other commands.

    A transaction starts only when no other session's command is in flight; other sessions'
    commands wait while a transaction is open or waiting to open (so transactions are not
    starved by a stream of reads). When a transaction ends, the commands waiting at that moment
    go first, then the next transaction (so reads — a readiness ping, a lease renewal — are not
    starved by a stream of transactions either).
    """

    def __init__(self, lifetime: float = DEFAULT_LIFETIME_SECONDS) -> None:
        self.lifetime = lifetime
        self._open: _Open | None = None
        self._in_flight = 0
        self._waiting_transactions = 0
        self._waiting_commands = 0
        self._commands_turn = False
        self._aborted: OrderedDict[tuple[str, str], None] = OrderedDict()
        # Closed connections, remembered: a command that waited for the gate may take it after
        # its client's connection closed (a transaction whose client died while queued).
        self._closed: OrderedDict[int, None] = OrderedDict()
        self._changed = asyncio.Condition()
        self.aborted_total = 0

    @property
    def owner(self) -> str | None:
        return self._open.session if self._open is not None else None

    def _close_open(self) -> None:
        """The open transaction is over: the commands waiting now go before the next one."""
        self._open = None
        if self._waiting_commands:
            self._commands_turn = True
        self._changed.notify_all()

    def _abort_open(self, reason: str) -> None:
        """Abort the open transaction (caller holds the condition's lock, owner not busy)."""
        current = self._open
        if current is None:
            return
        self._close_open()
        self._aborted[(current.session, repr(current.txn_number))] = None
        while len(self._aborted) > _REMEMBERED_ABORTS:
            self._aborted.popitem(last=False)
        self.aborted_total += 1
        log.warning("embedded MongoDB: aborting an abandoned transaction (%s)", reason)
        try:
            current.abort()
        except Exception:
            log.exception("embedded MongoDB: aborting the abandoned transaction failed")

    def _abort_if_orphaned(self) -> None:
        current = self._open
        if (
            current is not None
            and not current.busy
            and all(c in self._closed for c in current.connections)
        ):
            self._abort_open("its client's connections closed")

    def _expire_if_due(self) -> None:
        current = self._open
        if current is not None and not current.busy:
            age = time.monotonic() - current.since
            if age > self.lifetime:
                self._abort_open(f"open {age:.1f} s, lifetime limit {self.lifetime:g} s")

    async def _wait(self) -> None:
        timeout = min(1.0, max(self.lifetime / 4, 0.05))
        try:
            await asyncio.wait_for(self._changed.wait(), timeout=timeout)
        except TimeoutError:
            self._expire_if_due()

    async def enter(
        self,
        session: str,
        *,
        in_transaction: bool,
        starts_transaction: bool,
        txn_number: Any = None,
        connection_id: int = 0,
        abort: Callable[[], None] = lambda: None,
    ) -> Turn:
        """Wait for a turn; pass the result to `leave` once the command is done."""
        async with self._changed:
            if (
                in_transaction
                and not starts_transaction
                and (session, repr(txn_number)) in self._aborted
            ):
                return Turn.ABORTED
            current = self._open
            if current is not None and current.session == session:
                if starts_transaction:  # a new transaction: the old one is over
                    current.txn_number = txn_number
                    current.since = time.monotonic()
                    current.connections.clear()
                current.connections.add(connection_id)
                current.busy += 1
                return Turn.OWNER
            if starts_transaction:
                self._waiting_transactions += 1
                try:
                    while (
                        self._open is not None
                        or self._in_flight
                        or (self._commands_turn and self._waiting_commands)
                    ):
                        await self._wait()
                finally:
                    self._waiting_transactions -= 1
                self._commands_turn = False
                self._open = _Open(session, txn_number, abort, connections={connection_id})
                self._open.busy += 1
                log.debug(
                    "transaction %s/%s opened on connection %s", session, txn_number, connection_id
                )
                return Turn.OWNER
            self._waiting_commands += 1
            try:
                while self._open is not None or (
                    self._waiting_transactions and not self._commands_turn
                ):
                    await self._wait()
            finally:
                self._waiting_commands -= 1
                if not self._waiting_commands and self._commands_turn:
                    self._commands_turn = False  # this batch is in: the next transaction's turn
                    self._changed.notify_all()
            self._in_flight += 1
            return Turn.COMMAND

    async def leave(self, turn: Turn, session: str, *, ends_transaction: bool = False) -> None:
        async with self._changed:
            if turn is Turn.COMMAND:
                self._in_flight -= 1
                self._changed.notify_all()
                return
            current = self._open
            if turn is not Turn.OWNER or current is None or current.session != session:
                return
            current.busy -= 1
            if ends_transaction:
                log.debug("transaction %s/%s ended", session, current.txn_number)
                self._close_open()
            else:
                self._abort_if_orphaned()

    async def connection_closed(self, connection_id: int) -> None:
        async with self._changed:
            self._closed[connection_id] = None
            while len(self._closed) > _REMEMBERED_CLOSED_CONNECTIONS:
                self._closed.popitem(last=False)
            current = self._open
            if current is not None and connection_id in current.connections:
                self._abort_if_orphaned()


def _session_key(body: dict[str, Any]) -> str | None:
    lsid = body.get("lsid")
    if isinstance(lsid, dict) and "id" in lsid:
        return repr(lsid["id"])
    return None


def _peek_body(header: Any, payload: bytes) -> dict[str, Any]:
    from mongoeco.wire.protocol import OP_MSG, decode_op_msg

    if header.op_code != OP_MSG:
        return {}
    try:
        body = decode_op_msg(header, payload).body
    except Exception:
        return {}  # the original path reports malformed messages itself
    return body if isinstance(body, dict) else {}


def _refusal(header: Any, body: dict[str, Any]) -> bytes:
    """MongoDB's answer to a command of a transaction the server has aborted."""
    from mongoeco.wire.protocol import encode_op_msg_response

    if next(iter(body), "") == "abortTransaction":
        document: dict[str, Any] = {"ok": 1.0}
    else:
        document = {
            "ok": 0.0,
            "errmsg": f"Transaction {body.get('txnNumber')} has been aborted.",
            "code": NO_SUCH_TRANSACTION,
            "codeName": "NoSuchTransaction",
            "errorLabels": ["TransientTransactionError"],
        }
    return encode_op_msg_response(document, request_id=0, response_to=header.request_id)


def _busy_as_retryable(
    reply: bytes | None, body: dict[str, Any], *, in_transaction: bool
) -> bytes | None:
    """Inside a transaction, SQLite's "database is locked" (another of mongoeco's own
    connections wrote between the transaction's first read and its first write, or held the lock
    past the busy timeout) is what MongoDB reports as a WriteConflict: give it that code and the
    ``TransientTransactionError`` label, so the driver retries the whole transaction. (Writes
    outside a transaction start with ``BEGIN IMMEDIATE`` and only fail this way after the busy
    timeout; they keep the error.)"""
    if not in_transaction or reply is None or _BUSY not in reply:
        return reply
    from mongoeco.wire.protocol import (
        OP_MSG,
        decode_op_msg,
        encode_op_msg_response,
        parse_message_header,
    )

    header = parse_message_header(reply[:16])
    if header.op_code != OP_MSG:
        return reply
    document = decode_op_msg(header, reply[16:]).body
    if document.get("ok") or document.get("errmsg") != _BUSY.decode():
        return reply
    log.info("database is locked in %s: answered as WriteConflict", next(iter(body), "?"))
    document = {
        **document,
        "code": WRITE_CONFLICT,
        "codeName": "WriteConflict",
        "errorLabels": ["TransientTransactionError"],
    }
    return encode_op_msg_response(
        document, request_id=header.request_id, response_to=header.response_to
    )


def _aborter(server: Any, lsid: Any) -> Callable[[], None]:
    def abort() -> None:
        server._session_store.abort_transaction({"lsid": lsid})

    return abort


def _gated(
    original: Callable[..., Awaitable[bytes | None]], gate: TransactionGate
) -> Callable[..., Awaitable[bytes | None]]:
    """The request dispatch behind the gate. The gate wraps the whole request: mongoeco binds
    a transaction to its engine while it decodes the request (before execution), so gating
    execution alone is too late."""

    @functools.wraps(original)
    async def dispatch(self: Any, header: Any, payload: bytes, *, connection: Any) -> bytes | None:
        body = _peek_body(header, payload)
        session = _session_key(body)
        if session is None:
            # hello/ping/monitoring carry no session and never touch a transaction:
            # holding them back would make the driver think the server is gone.
            return await original(self, header, payload, connection=connection)
        in_transaction = body.get("autocommit") is False
        turn = await gate.enter(
            session,
            in_transaction=in_transaction,
            starts_transaction=in_transaction and bool(body.get("startTransaction")),
            txn_number=body.get("txnNumber"),
            connection_id=connection.connection_id,
            abort=_aborter(self, body.get("lsid")),
        )
        ends = in_transaction and next(iter(body), "") in _ENDS
        try:
            if turn is Turn.ABORTED:
                return _refusal(header, body)
            reply = await original(self, header, payload, connection=connection)
            return _busy_as_retryable(reply, body, in_transaction=in_transaction)
        finally:
            await gate.leave(turn, session, ends_transaction=ends)

    return dispatch


def _closing(original: Callable[..., Any], gate: TransactionGate) -> Callable[..., Any]:
    """A connection's close, told to the gate (a transaction whose client died is aborted)."""
    pending: set[asyncio.Task[None]] = set()

    @functools.wraps(original)
    def close(self: Any, context: Any) -> None:
        original(self, context)
        try:
            task = asyncio.get_running_loop().create_task(
                gate.connection_closed(context.connection_id)
            )
        except RuntimeError:  # no loop: the server is shutting down
            return
        pending.add(task)
        task.add_done_callback(pending.discard)

    return close


def build(originals: Originals) -> Replacements:
    gate = TransactionGate(lifetime_from_env())
    return {DISPATCH: _gated(originals[DISPATCH], gate), CLOSE: _closing(originals[CLOSE], gate)}


PATCH = Patch(
    name="transaction_gate",
    written_for="4.11.0",
    targets=(DISPATCH, CLOSE),
    build=build,
    after=("count_pipeline",),
)
