"""Request-side recording: the ASGI middleware (client address, the service's log) and the
strawberry extension that scopes mutations and records failed authorizations.

Every mutation is recorded without per-resolver code: its transactions write their entries
through `AuditedUnitOfWork`; a mutation that committed nothing (refused, invalid, failed) is
recorded after execution in a transaction of its own, with the error code as outcome. Every
FORBIDDEN / UNAUTHENTICATED error of any operation (read, search, mutation, subscription) is
recorded the same way as ``authorization.denied`` with its path.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from crm_kit.audit.chain import Entry, Who
from crm_kit.audit.scope import (
    MutationScope,
    RequestAudit,
    mutation_scope,
    operation_who,
    request_audit,
)
from crm_kit.audit.store import AuditLog

_log = logging.getLogger("crm_kit.audit")
DENIED_CODES = frozenset({"FORBIDDEN", "UNAUTHENTICATED"})
MAX_DENIED_PER_REQUEST = 20


def client_address(scope: Scope) -> str:
    """First X-Forwarded-For entry (the gateway's view of the client), else the peer."""
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-for":
            first = value.decode("latin-1").split(",")[0].strip()
            if first:
                return str(first[:64])
    peer = scope.get("client")
    return str(peer[0]) if peer else ""


class AuditMiddleware:
    """Binds the service's audit log and the client address to each HTTP/WS request."""

    def __init__(self, app: ASGIApp, log: AuditLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = request_audit.set(RequestAudit(self.log, client_address(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            request_audit.reset(token)


def error_code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if code:
        return str(code)
    original = error.original_error
    extensions = getattr(original, "extensions", None)
    if isinstance(extensions, dict) and extensions.get("code"):
        return str(extensions["code"])
    return "INTERNAL_SERVER_ERROR" if error.path else "BAD_USER_INPUT"


def who_of(context: Any, client: str) -> Who:
    request_id = str(getattr(context, "request_id", "") or "")
    principal = getattr(context, "principal_or_error", None)
    sub = getattr(principal, "sub", None)
    if sub is None:
        return Who("anonymous", (), request_id, client)
    roles = tuple(sorted(str(r) for r in getattr(principal, "roles", ())))
    return Who(str(sub), roles, request_id, client)


def _root_fields(operation: OperationDefinitionNode) -> list[str]:
    names = []
    for selection in operation.selection_set.selections:
        name = getattr(selection, "name", None)
        if name is not None and name.value != "__typename":
            names.append(name.value)
    return names


class AuditExtension(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        req = request_audit.get()
        ctx = self.execution_context
        if req is None:
            yield
            return
        who = who_of(ctx.context, req.client)
        operation = _operation(ctx.graphql_document, ctx.operation_name)
        fields = _root_fields(operation) if operation is not None else []
        scope: MutationScope | None = None
        token = None
        who_token = operation_who.set(who)
        if operation is not None and operation.operation is OperationType.MUTATION:
            action = f"{req.log.service}.{','.join(fields) or 'mutation'}"
            scope = MutationScope(who, action)
            token = mutation_scope.set(scope)
        try:
            yield
        finally:
            if token is not None:
                mutation_scope.reset(token)
            operation_who.reset(who_token)
        errors = list(ctx.result.errors or []) if ctx.result is not None else []
        entries = _denied(errors, req.log.service)
        if scope is not None and scope.written == 0:
            codes = {error_code(e) for e in errors}
            outcome = "OK" if not codes else sorted(codes)[0]
            entries.append(Entry(scope.action, outcome=outcome, details={"fields": fields}))
        if entries:
            try:
                await req.log.append_now(entries, who)
            except Exception:
                # The request's own outcome stands; the loss is logged loudly for operators.
                _log.exception(
                    "audit record could not be written",
                    extra={
                        "fields": {
                            "request_id": who.request_id,
                            "actions": [e.action for e in entries],
                        }
                    },
                )


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            name is None or (definition.name is not None and definition.name.value == name)
        ):
            return definition
    return None


def _denied(errors: list[GraphQLError], service: str) -> list[Entry]:
    entries: list[Entry] = []
    for error in errors:
        code = error_code(error)
        if code not in DENIED_CODES:
            continue
        path = ".".join(str(p) for p in error.path or ())
        entries.append(
            Entry(
                "authorization.denied",
                "path",
                path,
                outcome=code,
                details={"service": service, "message": error.message[:200]},
            )
        )
        if len(entries) >= MAX_DENIED_PER_REQUEST:
            break
    return entries
