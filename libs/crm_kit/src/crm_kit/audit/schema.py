"""ADMIN query of a service's audit log over GraphQL.

Each subgraph exposes its own root field — ``customerAuditLog``, ``interactionAuditLog``,
``notificationAuditLog`` — rather than one ``auditLog`` that three subgraphs would each
resolve (the gateway can route a root field to one subgraph only, and the logs are separate
chains in separate databases). The record types are identical value types, shareable.
Values in `changes` are JSON text (already masked when recorded).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry

from crm_kit.audit.chain import iso
from crm_kit.audit.scope import request_audit
from crm_kit.auth import Role
from crm_kit.errors import BadUserInput
from crm_kit.graphql import PageInfo

MAX_PAGE = 100


@strawberry.federation.type(shareable=True)
class AuditTarget:
    type: str
    id: str


@strawberry.federation.type(shareable=True)
class AuditChange:
    field: str
    before_json: str
    after_json: str


@strawberry.federation.type(shareable=True, description="One tamper-evident audit record.")
class AuditRecord:
    seq: int
    service: str
    at: datetime
    actor: str
    roles: list[str]
    action: str
    outcome: str
    target: AuditTarget
    changes: list[AuditChange]
    details_json: str
    request_id: str
    client: str
    prev: str
    hash: str


@strawberry.federation.type(shareable=True)
class AuditRecordEdge:
    cursor: str
    node: AuditRecord


@strawberry.federation.type(shareable=True)
class AuditRecordConnection:
    edges: list[AuditRecordEdge]
    page_info: PageInfo


@strawberry.input
class AuditLogFilter:
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    from_time: datetime | None = None
    to_time: datetime | None = None


def _query(f: AuditLogFilter | None) -> dict[str, Any]:
    if f is None:
        return {}
    query: dict[str, Any] = {}
    for name, value in (
        ("actor", f.actor),
        ("action", f.action),
        ("outcome", f.outcome),
        ("target.type", f.target_type),
        ("target.id", f.target_id),
    ):
        if value is not None:
            query[name] = str(value)  # plain strings only: never an operator from a client
    bounds = {k: iso(v) for k, v in (("$gte", f.from_time), ("$lt", f.to_time)) if v is not None}
    if bounds:
        query["at"] = bounds
    return query


def _record(doc: dict[str, Any]) -> AuditRecord:
    return AuditRecord(
        seq=int(doc["seq"]),
        service=doc["service"],
        at=datetime.fromisoformat(doc["at"]),
        actor=doc["actor"],
        roles=list(doc["roles"]),
        action=doc["action"],
        outcome=doc["outcome"],
        target=AuditTarget(type=doc["target"]["type"], id=doc["target"]["id"]),
        changes=[
            AuditChange(
                field=c["field"],
                before_json=json.dumps(c["before"], ensure_ascii=False),
                after_json=json.dumps(c["after"], ensure_ascii=False),
            )
            for c in doc["changes"]
        ],
        details_json=json.dumps(doc["details"], ensure_ascii=False, sort_keys=True),
        request_id=doc["request_id"],
        client=doc["client"],
        prev=doc["prev"],
        hash=doc["hash"],
    )


async def audit_log_page(
    info: strawberry.Info, filter: AuditLogFilter | None, first: int, after: str | None
) -> AuditRecordConnection:
    info.context.principal.require_role(Role.ADMIN)
    req = request_audit.get()
    if req is None:
        raise RuntimeError("audit log not installed for this service")
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput.single("first", "OUT_OF_RANGE", f"first must be 1..{MAX_PAGE}")
    before_seq: int | None = None
    if after is not None:
        if not after.isdigit():
            raise BadUserInput.single("after", "INVALID_CURSOR", "Malformed cursor")
        before_seq = int(after)
    docs, more = await req.log.query(_query(filter), first, before_seq)
    edges = [AuditRecordEdge(cursor=str(d["seq"]), node=_record(d)) for d in docs]
    return AuditRecordConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def audit_query(service: str) -> type:
    """A Query type with the one root field `<service>AuditLog`, for strawberry's merge_types."""

    async def resolve(
        info: strawberry.Info,
        filter: AuditLogFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> AuditRecordConnection:
        return await audit_log_page(info, filter, first, after)

    field = strawberry.field(
        resolver=resolve,
        description=f"ADMIN: the {service} service's audit log, newest first.",
    )
    name = f"{service.title()}AuditQuery"
    return strawberry.type(type(name, (), {f"{service}_audit_log": field}))
