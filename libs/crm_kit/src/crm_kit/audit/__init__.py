"""Tamper-evident audit log: who did what to which record, from where, when.

Wiring (in a service's app.py, the only place adapters are connected)::

    def build_deps(runtime):
        enable_audit(runtime)          # runtime.uow now writes audit records in each transaction
        ...
    app = create_service_app(spec)
    install_audit(app)                 # client address + the log for each request

Recording:

- every mutation: automatic (its transactions, or one record of the refused/failed attempt);
- before/after details: ``record(tx, "customer.update", "Customer", id, changes=[...])``
  inside the UnitOfWork work function (replaces the generic record of that transaction), or
  ``record_current(...)`` from code that only has the session (a repository);
- unmask, export, other reads worth recording: ``await record_now("customer.unmask",
  "Customer", id, details={...})`` (own transaction);
- failed authorizations: automatic for every FORBIDDEN / UNAUTHENTICATED GraphQL error.

Verification and retention: ``python -m crm_kit.audit verify|prune|export --service NAME``.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from crm_kit.audit.chain import Change, Entry, Who, mask
from crm_kit.audit.scope import (
    AuditedUnitOfWork,
    current_who,
    mutation_scope,
    record,
    record_current,
    request_audit,
)
from crm_kit.audit.store import AuditLog, Pruned, Verification
from crm_kit.audit.web import AuditMiddleware

__all__ = [
    "AuditLog",
    "AuditedUnitOfWork",
    "Change",
    "Entry",
    "Pruned",
    "Verification",
    "Who",
    "enable_audit",
    "install_audit",
    "mask",
    "record",
    "record_current",
    "record_now",
]


def enable_audit(runtime: Any) -> AuditLog:
    """Wrap `runtime.uow` (a crm_kit.service.Runtime) so its transactions are audited."""
    uow = runtime.uow
    if isinstance(uow, AuditedUnitOfWork):
        return uow.log
    log = AuditLog(runtime.client, runtime.db, runtime.settings.service_name)
    runtime.uow = AuditedUnitOfWork(uow, log)
    return log


def install_audit(app: Starlette) -> None:
    """Add the request middleware to a service app built with an audited runtime."""
    uow = app.state.runtime.uow
    if not isinstance(uow, AuditedUnitOfWork):
        raise RuntimeError("enable_audit(runtime) must run in build_deps before install_audit")
    app.add_middleware(AuditMiddleware, log=uow.log)


async def record_now(
    action: str,
    target_type: str = "",
    target_id: str = "",
    *,
    changes: list[Change] | None = None,
    details: dict[str, Any] | None = None,
    outcome: str = "OK",
) -> bool:
    """Record an action that changes nothing (unmask, export) in its own transaction, with
    the current request's caller. Returns False outside a request of an audited service."""
    req = request_audit.get()
    if req is None:
        return False
    entry = Entry(action, target_type, target_id, list(changes or ()), outcome, dict(details or {}))
    await req.log.append_now([entry], current_who())
    scope = mutation_scope.get()
    if scope is not None:
        scope.written += 1  # the mutation is recorded: no separate "attempt" record
    return True
