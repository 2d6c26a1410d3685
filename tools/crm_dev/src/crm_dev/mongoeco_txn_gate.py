"""Make the embedded server wait for a transaction instead of failing everyone else.

Why: mongoeco's SQLite engine runs one transaction at a time and, while a session owns it,
answers every command of every other session with "SQLiteEngine has an active transaction
bound to another session". A real MongoDB runs them concurrently, so services written for it
(an outbox relay marking entries sent while a request commits, two requests at once) would
see spurious failures here.

What: wrap the proxy's request dispatch with a gate keyed by the command's
``lsid``. A command that starts a transaction takes the gate; commands of other sessions wait
(asynchronously) until that transaction commits or aborts. The gate is released on
``commitTransaction``/``abortTransaction``, and after ``HOLD_LIMIT_SECONDS`` as a safety net
for a client that died mid-transaction (mongoeco then reports its own error, as before).
Embedded development/test server only; production uses MongoDB.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any

HOLD_LIMIT_SECONDS = 15.0
_MARKER = "_crm_dev_txn_gate"
_ENDS = frozenset({"commitTransaction", "abortTransaction"})

log = logging.getLogger(__name__)


class TransactionGate:
    """A readers-writer gate: one transaction at a time, and never beside other commands.

    A transaction starts only when no other session's command is in flight; other sessions'
    commands wait while a transaction is open or waiting to open (so transactions are not
    starved by a stream of reads).
    """

    def __init__(self, hold_limit: float = HOLD_LIMIT_SECONDS) -> None:
        self._hold_limit = hold_limit
        self._owner: str | None = None
        self._since = 0.0
        self._in_flight = 0
        self._waiting_transactions = 0
        self._changed = asyncio.Condition()

    def _release_if_expired(self) -> None:
        if self._owner is not None and time.monotonic() - self._since > self._hold_limit:
            log.warning("a transaction held the embedded engine too long; releasing the gate")
            self._owner = None

    async def _wait(self) -> None:
        try:
            await asyncio.wait_for(self._changed.wait(), timeout=1.0)
        except TimeoutError:
            self._release_if_expired()

    async def enter(self, session: str, starts_transaction: bool) -> bool:
        """Wait for a turn; True when the caller must call `leave_command` afterwards."""
        async with self._changed:
            if self._owner == session:
                return False
            if starts_transaction:
                self._waiting_transactions += 1
                try:
                    while self._owner is not None or self._in_flight:
                        await self._wait()
                finally:
                    self._waiting_transactions -= 1
                self._owner = session
                self._since = time.monotonic()
                return False
            while self._owner is not None or self._waiting_transactions:
                await self._wait()
            self._in_flight += 1
            return True

    async def leave_command(self) -> None:
        async with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    async def end_transaction(self, session: str) -> None:
        async with self._changed:
            if self._owner == session:
                self._owner = None
                self._changed.notify_all()


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


def apply() -> None:
    # The gate wraps the whole request: mongoeco binds a transaction to its engine while it
    # decodes the request (before execution), so gating execution alone is too late.
    from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

    original = AsyncMongoEcoProxyServer._dispatch_wire_request
    if getattr(original, _MARKER, False):
        return
    gate = TransactionGate()

    @functools.wraps(original)
    async def dispatch(
        self: AsyncMongoEcoProxyServer, header: Any, payload: bytes, *, connection: Any
    ) -> bytes | None:
        body = _peek_body(header, payload)
        session = _session_key(body)
        if session is None:
            # hello/ping/monitoring carry no session and never touch a transaction:
            # holding them back would make the driver think the server is gone.
            return await original(self, header, payload, connection=connection)
        in_transaction = body.get("autocommit") is False
        counted = await gate.enter(session, in_transaction and bool(body.get("startTransaction")))
        try:
            return await original(self, header, payload, connection=connection)
        finally:
            if counted:
                await gate.leave_command()
            if in_transaction and next(iter(body), "") in _ENDS:
                await gate.end_transaction(session)

    setattr(dispatch, _MARKER, True)
    AsyncMongoEcoProxyServer._dispatch_wire_request = dispatch  # type: ignore[method-assign]
