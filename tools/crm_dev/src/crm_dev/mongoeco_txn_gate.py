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
    def __init__(self, hold_limit: float = HOLD_LIMIT_SECONDS) -> None:
        self._hold_limit = hold_limit
        self._owner: str | None = None
        self._since = 0.0
        self._changed = asyncio.Condition()

    def _expired(self) -> bool:
        return self._owner is not None and time.monotonic() - self._since > self._hold_limit

    async def enter(self, session: str | None, starts_transaction: bool) -> None:
        async with self._changed:
            while self._owner is not None and self._owner != session:
                if self._expired():
                    log.warning("transaction held the embedded engine too long; releasing gate")
                    self._owner = None
                    break
                remaining = self._hold_limit - (time.monotonic() - self._since)
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=max(0.01, remaining))
                except TimeoutError:
                    continue
            if starts_transaction:
                self._owner = session
                self._since = time.monotonic()

    async def leave(self, session: str | None) -> None:
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
        await gate.enter(session, in_transaction and bool(body.get("startTransaction")))
        try:
            return await original(self, header, payload, connection=connection)
        finally:
            if in_transaction and next(iter(body), "") in _ENDS:
                await gate.leave(session)

    setattr(dispatch, _MARKER, True)
    AsyncMongoEcoProxyServer._dispatch_wire_request = dispatch  # type: ignore[method-assign]
