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
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from crm_kit.audit.chain import iso
from crm_kit.audit.scope import request_audit
from crm_kit.auth import Role
from crm_kit.errors import BadUserInput
from crm_kit.graphql import PageAfter, PageInfo
from crm_kit.listing import DateTimeRangeInput, range_condition
from crm_kit.paging import MAX_PAGE_SIZE, page_size

DEFAULT_PAGE = 50


@strawberry.federation.type(shareable=True, description="The record an audited action was about.")
class AuditTarget:
    type: str = strawberry.field(
        description="Its kind: the first word of the events the action emitted (e.g. `ticket`) "
        "or the type the service recorded (e.g. `Customer`); empty when there is none."
    )
    id: str = strawberry.field(description="Its id; empty when there is none.")


@strawberry.federation.type(
    shareable=True,
    description="One field an audited action changed; values are masked by field name when "
    "recorded (phones, e-mails, ID numbers, addresses, secrets).",
)
class AuditChange:
    field: str = strawberry.field(description="The field's name.")
    before: JSON | None = strawberry.field(description="The value before (masked as stored).")
    after: JSON | None = strawberry.field(description="The value after (masked as stored).")
    before_json: str = strawberry.field(
        description="The value before, as JSON text.",
        deprecation_reason="Use `before`, a JSON value.",
    )
    after_json: str = strawberry.field(
        description="The value after, as JSON text.",
        deprecation_reason="Use `after`, a JSON value.",
    )


@strawberry.federation.type(shareable=True, description="One tamper-evident audit record.")
class AuditRecord:
    seq: int = strawberry.field(
        description="The record's number in its service's log: consecutive from 1, so a gap "
        "means a deleted record."
    )
    service: str = strawberry.field(description="The service whose log holds the record.")
    at: datetime = strawberry.field(description="When it was recorded (RFC 3339, UTC).")
    actor: str = strawberry.field(
        description="Who acted: the caller's staff id (token subject), `anonymous`, or "
        "`system:<service>` for work without a caller (event consumers, schedulers)."
    )
    roles: list[str] = strawberry.field(description="The caller's roles at the time, sorted.")
    action: str = strawberry.field(
        description="What was done: `<service>.<mutation fields>` for a mutation (e.g. "
        "`interaction.logInteraction`), or a named action (e.g. `customer.unmask`)."
    )
    outcome: str = strawberry.field(
        description="`OK`, or the error code the attempt ended with (e.g. `FORBIDDEN`)."
    )
    target: AuditTarget = strawberry.field(description="The record acted on.")
    changes: list[AuditChange] = strawberry.field(
        description="Field-level changes, where the service recorded them (else empty)."
    )
    details: JSON = strawberry.field(
        description="Further details, a JSON object (masked like changes)."
    )
    details_json: str = strawberry.field(
        description="Further details as a JSON object in text (sorted keys; masked like changes).",
        deprecation_reason="Use `details`, a JSON value.",
    )
    request_id: strawberry.ID = strawberry.field(
        description="The request's id, as quoted in error messages; empty outside a request."
    )
    client: str = strawberry.field(
        description="The client's address (the first X-Forwarded-For entry, else the peer); "
        "empty outside a request."
    )
    prev: str = strawberry.field(
        description="The `hash` of the record before (64 zeros before the first record)."
    )
    hash: str = strawberry.field(
        description="SHA-256 (hex) of the record's other fields as canonical JSON: editing a "
        "record breaks it, and the next record's `prev`."
    )


@strawberry.federation.type(shareable=True, description="An audit record and its cursor.")
class AuditRecordEdge:
    cursor: str = strawberry.field(description="The record's position, for `after`.")
    node: AuditRecord = strawberry.field(description="The record.")


@strawberry.federation.type(shareable=True, description="A page of audit records, newest first.")
class AuditRecordConnection:
    edges: list[AuditRecordEdge] = strawberry.field(description="This page's records.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    total_count: int = strawberry.field(
        description="How many records match the filter, every page (not only this one)."
    )


@strawberry.input(
    description="Which audit records to list: each field given must match exactly (no patterns)."
)
class AuditLogFilterInput:
    actor: str | None = strawberry.field(
        default=None, description="Only this actor's (staff id, `anonymous`, `system:<service>`)."
    )
    action: str | None = strawberry.field(
        default=None, description="Only this action, e.g. `interaction.logInteraction`."
    )
    outcome: str | None = strawberry.field(
        default=None, description="Only this outcome: `OK` or an error code."
    )
    target_type: str | None = strawberry.field(
        default=None, description="Only actions on this type of record (see `AuditTarget.type`)."
    )
    target_id: str | None = strawberry.field(
        default=None, description="Only actions on the record with this id."
    )
    at: DateTimeRangeInput | None = strawberry.field(
        default=None, description="Only records written in this time range."
    )


def _query(f: AuditLogFilterInput | None) -> dict[str, Any]:
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
    bounds = range_condition(f.at, "filter.at", encode=iso)
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
                before=c["before"],
                after=c["after"],
                before_json=json.dumps(c["before"], ensure_ascii=False),
                after_json=json.dumps(c["after"], ensure_ascii=False),
            )
            for c in doc["changes"]
        ],
        details=doc["details"],
        details_json=json.dumps(doc["details"], ensure_ascii=False, sort_keys=True),
        request_id=strawberry.ID(doc["request_id"]),
        client=doc["client"],
        prev=doc["prev"],
        hash=doc["hash"],
    )


async def audit_log_page(
    info: strawberry.Info, filter: AuditLogFilterInput | None, first: int | None, after: str | None
) -> AuditRecordConnection:
    info.context.principal.require_role(Role.ADMIN)
    req = request_audit.get()
    if req is None:
        raise RuntimeError("audit log not installed for this service")
    size = page_size(first, DEFAULT_PAGE)
    before_seq: int | None = None
    if after is not None:
        if not after.isdigit():
            raise BadUserInput.single("after", "INVALID_CURSOR", "Malformed cursor")
        before_seq = int(after)
    where = _query(filter)
    docs, more = await req.log.query(where, size, before_seq)
    edges = [AuditRecordEdge(cursor=str(d["seq"]), node=_record(d)) for d in docs]
    return AuditRecordConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=await req.log.count(where),
    )


_FILTER = strawberry.argument(description="Which records; every record when omitted.")
_FIRST = strawberry.argument(
    description=f"How many records: {DEFAULT_PAGE} by default, 0…{MAX_PAGE_SIZE} (the services' "
    "MAX_PAGE_SIZE setting); more is refused, never cut: BAD_USER_INPUT (`first` OUT_OF_RANGE)."
)


def audit_query(service: str) -> type:
    """A Query type with the one root field `<service>AuditLog`, for strawberry's merge_types."""

    async def resolve(
        info: strawberry.Info,
        filter: Annotated[AuditLogFilterInput | None, _FILTER] = None,
        first: Annotated[int | None, _FIRST] = DEFAULT_PAGE,
        after: PageAfter = None,
    ) -> AuditRecordConnection:
        return await audit_log_page(info, filter, first, after)

    field = strawberry.field(
        resolver=resolve,
        description=f"ADMIN only (others: FORBIDDEN): the {service} service's audit log, "
        "newest first.",
    )
    name = f"{service.title()}AuditQuery"
    return strawberry.type(type(name, (), {f"{service}_audit_log": field}))
