"""Who is acting, and the audited unit of work.

A request sets two context variables: `RequestAudit` (the service's AuditLog and the client
address, by `AuditMiddleware`) and, for a mutation, `MutationScope` (caller, request id, the
mutation fields, by the GraphQL extension). `AuditedUnitOfWork` wraps a service's UnitOfWork:
at the end of every transaction it appends the audit records of that transaction — entries
recorded explicitly with `record(tx, ...)`, or else one generic entry for the mutation whose
target is taken from the events the transaction emitted — in the same transaction.
Outside a request (event consumers, schedulers) only explicit entries are written, with the
actor ``system:<service>``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from crm_kit.audit.chain import Change, Entry, Who
from crm_kit.audit.store import AuditLog
from crm_kit.uow import Transaction, UnitOfWork


@dataclass(slots=True)
class RequestAudit:
    log: AuditLog
    client: str


@dataclass(slots=True)
class MutationScope:
    who: Who
    action: str
    written: int = 0


@dataclass(slots=True)
class _Pending:
    tx: Transaction
    entries: list[Entry] = field(default_factory=list)


request_audit: contextvars.ContextVar[RequestAudit | None] = contextvars.ContextVar(
    "crm_audit_request", default=None
)
mutation_scope: contextvars.ContextVar[MutationScope | None] = contextvars.ContextVar(
    "crm_audit_mutation", default=None
)
operation_who: contextvars.ContextVar[Who | None] = contextvars.ContextVar(
    "crm_audit_who", default=None
)
_pending: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar(
    "crm_audit_pending", default=None
)


def record(
    tx: Transaction,
    action: str,
    target_type: str,
    target_id: str,
    *,
    changes: list[Change] | None = None,
    details: dict[str, Any] | None = None,
    actor: str | None = None,
    roles: tuple[str, ...] | None = None,
) -> None:
    """Add an audit entry to the current transaction (written at its commit, with it).

    Values in `changes` and `details` are masked by field name before they are stored.
    `actor`/`roles` name the person when there is no request (a background job acting for
    the user who started it); by default the request's caller, else ``system:<service>``.
    Outside an AuditedUnitOfWork (unit tests with a plain UnitOfWork) this does nothing.
    """
    pending = _pending.get()
    if pending is None or pending.tx is not tx:
        return
    pending.entries.append(
        Entry(
            action,
            target_type,
            target_id,
            list(changes or ()),
            details=dict(details or {}),
            actor=actor,
            roles=roles,
        )
    )


def record_current(
    action: str,
    target_type: str,
    target_id: str,
    *,
    changes: list[Change] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Like `record`, for the transaction running in this task (repositories get a session,
    not the Transaction). Does nothing outside an AuditedUnitOfWork transaction."""
    pending = _pending.get()
    if pending is not None:
        record(pending.tx, action, target_type, target_id, changes=changes, details=details)


def current_who() -> Who:
    who = operation_who.get()
    if who is not None:
        return who
    req = request_audit.get()
    return Who(client=req.client) if req is not None else Who()


def _generic(tx: Transaction, action: str) -> Entry:
    """One entry for a mutation's transaction: its target is what its events are about."""
    if tx.events:
        first = tx.events[0]
        ids = sorted({e.subject for e in tx.events if e.subject})
        details: dict[str, Any] = {"events": sorted({e.type for e in tx.events})}
        if len(ids) > 1:
            details["subjects"] = ids[:50]
        return Entry(action, first.type.split(".")[0], first.subject or "", details=details)
    return Entry(action)


class AuditedUnitOfWork(UnitOfWork):
    """A UnitOfWork whose transactions also append their audit records (wraps another one, so
    services that already extend UnitOfWork keep their behaviour)."""

    def __init__(self, inner: UnitOfWork, log: AuditLog) -> None:
        super().__init__(inner.client, inner.db, inner.source)
        self.inner = inner
        self.log = log

    async def run[T](self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        await self.log.ensure_head()
        scope = mutation_scope.get()
        written: list[dict[str, Any]] = []

        async def audited(tx: Transaction) -> T:
            pending = _Pending(tx)
            token = _pending.set(pending)
            try:
                result = await work(tx)
            finally:
                _pending.reset(token)
            entries = list(pending.entries)
            if scope is not None and not entries:
                entries.append(_generic(tx, scope.action))
            who = scope.who if scope is not None else current_who()
            written[:] = await self.log.append(entries, who, tx.session)
            return result  # (the last attempt is the one that commits)

        result = await self.inner.run(audited)
        self.log.committed(written)
        if scope is not None:
            scope.written += len(written)
        return result
