"""GraphQL queries and mutations of customers: read one or a list, statistics, create,
update, assign, archive, erase, bulk changes, and the audited reveal of a masked field."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_customer import access
from crm_customer.customers.arguments import (
    FIELD_ERRORS,
    RECORD_ERRORS,
    CustomerId,
    ExpectedVersion,
    Filter,
)
from crm_customer.customers.filters import cursor_for
from crm_customer.customers.inputs import CreateCustomerInput, UpdateCustomerInput
from crm_customer.customers.list_inputs import (
    NEWEST_FIRST,
    BulkChangeInput,
    CustomerFilterInput,
    CustomerOrderInput,
    to_filter,
)
from crm_customer.customers.model import Customer as CustomerModel
from crm_customer.customers.queries import Statistics
from crm_customer.customers.results import (
    BulkItemResult,
    BulkResult,
    CustomerConnection,
    CustomerEdge,
    CustomerStatistics,
    IndustrySection,
    RevealableField,
    RevealedField,
    StageTransition,
    WeekCount,
)
from crm_customer.customers.types import Customer, customer_loader
from crm_customer.customers.validators import INDUSTRY_SECTIONS
from crm_customer.graphql.context import Info
from crm_kit.audit import record_now
from crm_kit.events import utcnow
from crm_kit.graphql import CountBucket, page_info
from crm_kit.paging import MAX_PAGE_SIZE, page_size
from crm_kit.policy import Action, Scope


async def checked(info: Info, id: str, action: Action) -> CustomerModel:
    """The current record, if the caller may do `action` on it (FORBIDDEN otherwise)."""
    customer = await info.context.deps.customer_queries.get(id)
    return access.check(info.context.principal, customer, action)


async def _bulk_targets(info: Info, ids: list[str]) -> tuple[list[str], list[BulkItemResult]]:
    """Split requested ids into those the caller may change and a FORBIDDEN result for each
    other one (unknown ids stay in: they report NOT_FOUND as before)."""
    principal = info.context.principal
    found = await info.context.deps.customer_queries.get_many(ids)
    allowed: list[str] = []
    denied: list[BulkItemResult] = []
    for id in dict.fromkeys(ids):
        customer = found.get(id)
        if customer is None or access.can(principal, customer, Action.BULK):
            allowed.append(id)
        else:
            denied.append(
                BulkItemResult(
                    id=strawberry.ID(id),
                    ok=False,
                    version=None,
                    code="FORBIDDEN",
                    message=access.forbidden(id, Action.BULK).message,
                )
            )
    return allowed, denied


def _statistics(stats: Statistics) -> CustomerStatistics:
    def buckets(field: str) -> list[CountBucket]:
        return [CountBucket(key=b.key, count=b.count) for b in stats.by[field]]

    return CustomerStatistics(
        total=stats.total,
        by_stage=buckets("stage"),
        by_source=buckets("source"),
        by_industry=buckets("industry"),
        by_region=buckets("region"),
        by_owner=buckets("owner_id"),
        by_kind=buckets("kind"),
        by_tier=buckets("tier"),
        new_per_week=[WeekCount(week_start=w, count=n) for w, n in stats.new_per_week],
        stage_transitions=[
            StageTransition(from_stage=t.from_stage, to_stage=t.to_stage, count=t.count)
            for t in stats.transitions
        ],
    )


@strawberry.type
class CustomerQuery:
    @strawberry.field(
        description="One customer: the root of the customer 360 view. Errors: NOT_FOUND, "
        "FORBIDDEN (a customer the caller may not read)."
    )
    async def customer(self, info: Info, id: CustomerId) -> Customer | None:
        info.context.principal  # noqa: B018 - authenticate before any data is read
        return Customer.from_model(await customer_loader(info).load(str(id)))

    @strawberry.field(
        description="Customers matching a filter, newest first unless `orderBy` says otherwise: "
        "those the caller may list (ADMIN, SERVICE, ANALYST every one; MANAGER their team's; "
        "SALES their own). Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE, `after` "
        "INVALID_CURSOR, the filter's field errors), FORBIDDEN."
    )
    async def customers(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(
                description=f"Page size, 20 by default, at most MAX_PAGE_SIZE ({MAX_PAGE_SIZE} "
                "unless configured): more is BAD_USER_INPUT (`first` OUT_OF_RANGE), never cut."
            ),
        ] = 20,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The `endCursor` of the previous page, made under the same "
                "`orderBy` (INVALID_CURSOR otherwise); null: the first page."
            ),
        ] = None,
        filter: Filter = None,
        order_by: Annotated[
            CustomerOrderInput | None,
            strawberry.argument(
                description="The order: `{field: CREATED_AT, direction: DESC}` (newest first) "
                "by default and when null."
            ),
        ] = NEWEST_FIRST,
    ) -> CustomerConnection:
        scope = access.condition(info.context.principal, Action.LIST)
        if scope is None:
            raise access.forbidden("*", Action.LIST)
        order = (order_by or NEWEST_FIRST).to_model()
        page = await info.context.deps.customer_queries.page(
            to_filter(filter, info.context.principal),
            first=max(1, page_size(first, 20, access.options())),
            after=after,
            order=order,
            scope=scope,
        )
        edges = [
            CustomerEdge(cursor=cursor_for(c, order), node=Customer.from_model(c))
            for c in page.items
        ]
        return CustomerConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], page.has_next, after is not None),
            total_count=page.total,
        )

    @strawberry.field(
        description="Counts for dashboards: by stage, source, industry, …, over the customers "
        "the caller may list. Errors: BAD_USER_INPUT (the filter's field errors), FORBIDDEN."
    )
    async def customer_statistics(self, info: Info, filter: Filter = None) -> CustomerStatistics:
        scope = access.condition(info.context.principal, Action.LIST)
        if scope is None:
            raise access.forbidden("*", Action.LIST)
        stats = await info.context.deps.customer_queries.statistics(
            to_filter(filter, info.context.principal), utcnow(), scope=scope
        )
        return _statistics(stats)

    @strawberry.field(description="GB/T 4754-2017 industry sections (codes for `industry`).")
    def industry_sections(self) -> list[IndustrySection]:
        return [
            IndustrySection(code=code, name_zh=zh, name_en=en)
            for code, (zh, en) in INDUSTRY_SECTIONS.items()
        ]


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(
        description="Create a customer (ADMIN, MANAGER, SALES). Refuses an exact duplicate "
        "(identity number, credit code, phone, email) with CONFLICT naming the existing "
        "customer (`conflictingId`, `rule`, `duplicates`) unless `force` is set; weaker "
        "matches become `possibleDuplicates`. Emits customer.created.v1 (and "
        "customer.assigned.v1 with an owner). Errors: BAD_USER_INPUT (" + FIELD_ERRORS + "; "
        "`stage` INVALID_STAGE; `idempotencyKey` REQUIRED, TOO_LONG), CONFLICT, FORBIDDEN "
        "(another role; an owner or team outside the caller's scope)."
    )
    async def create_customer(
        self,
        info: Info,
        input: Annotated[CreateCustomerInput, strawberry.argument(description="The customer.")],
    ) -> Customer:
        principal = info.context.principal
        owner_id, team = str(input.owner_id) if input.owner_id else None, input.team
        if access.scope(principal, Action.CREATE) is Scope.OWN:
            owner_id, team = owner_id or principal.sub, team or principal.team or None
        if owner_id is not None or team is not None:
            access.check_new_owner(principal, owner_id, team)
        created = await info.context.deps.customers.create(
            principal,
            input.to_model(owner_id, team),
            idempotency_key=input.idempotency_key,
            force=input.force,
        )
        return Customer.from_model(created)

    @strawberry.mutation(
        description="Partial update (ADMIN, MANAGER, SALES, of customers they may update); "
        "fails with CONFLICT on a stale version. Nothing changed: the record as it is. Emits "
        "customer.updated.v1. Errors: BAD_USER_INPUT (" + FIELD_ERRORS + "; `stage` "
        "INVALID_TRANSITION), " + RECORD_ERRORS + ", FORBIDDEN."
    )
    async def update_customer(
        self,
        info: Info,
        id: CustomerId,
        expected_version: Annotated[
            int,
            strawberry.argument(
                description="The version the edit is based on: another current version is a "
                "CONFLICT (with `currentVersion`)."
            ),
        ],
        input: Annotated[UpdateCustomerInput, strawberry.argument(description="The changes.")],
    ) -> Customer:
        await checked(info, str(id), Action.UPDATE)
        updated = await info.context.deps.customers.update(
            info.context.principal, str(id), expected_version, input.to_model()
        )
        return Customer.from_model(updated)

    @strawberry.mutation(
        description="Give the customer a new owner (and optionally team): ADMIN, MANAGER within "
        "their scope. Emits customer.assigned.v1. Errors: BAD_USER_INPUT (`ownerId` REQUIRED, "
        "INACTIVE_STAFF), " + RECORD_ERRORS + ", FORBIDDEN (another role; the customer or "
        "the new owner and team outside the caller's scope)."
    )
    async def assign_customer(
        self,
        info: Info,
        id: CustomerId,
        owner_id: Annotated[
            strawberry.ID, strawberry.argument(description="The new owner's staff id.")
        ],
        team: Annotated[
            str | None, strawberry.argument(description="The new team; null keeps the team.")
        ] = None,
        expected_version: ExpectedVersion = None,
    ) -> Customer:
        await checked(info, str(id), Action.ASSIGN)
        access.check_new_owner(info.context.principal, str(owner_id), team)
        assigned = await info.context.deps.customers.assign(
            info.context.principal, str(id), str(owner_id), team, expected_version
        )
        return Customer.from_model(assigned)

    @strawberry.mutation(
        description="Soft-delete: hidden from lists unless asked for (ADMIN, MANAGER within "
        "their scope). Emits customer.archived.v1. Errors: " + RECORD_ERRORS + ", FORBIDDEN."
    )
    async def archive_customer(
        self, info: Info, id: CustomerId, expected_version: ExpectedVersion = None
    ) -> Customer:
        await checked(info, str(id), Action.ARCHIVE)
        done = await info.context.deps.customers.set_archived(
            info.context.principal, str(id), True, expected_version
        )
        return Customer.from_model(done)

    @strawberry.mutation(
        description="Bring an archived customer back (ADMIN, MANAGER within their scope). Emits "
        "customer.updated.v1. Errors: " + RECORD_ERRORS + ", FORBIDDEN."
    )
    async def unarchive_customer(
        self, info: Info, id: CustomerId, expected_version: ExpectedVersion = None
    ) -> Customer:
        await checked(info, str(id), Action.ARCHIVE)
        done = await info.context.deps.customers.set_archived(
            info.context.principal, str(id), False, expected_version
        )
        return Customer.from_model(done)

    @strawberry.mutation(
        description="ADMIN: erase personal data on request (kept as an archived tombstone); "
        "history values are redacted. Emits customer.erased.v1. Errors: BAD_USER_INPUT "
        "(`reason` REQUIRED), NOT_FOUND, CONFLICT (a merged-away record, naming its survivor "
        "as `conflictingId`), FORBIDDEN (not ADMIN). An erased customer is returned as it is."
    )
    async def erase_customer(
        self,
        info: Info,
        id: CustomerId,
        reason: Annotated[
            str,
            strawberry.argument(
                description="Why (e.g. the request's reference): required; its first 500 "
                "characters are kept in the history."
            ),
        ],
    ) -> Customer:
        await checked(info, str(id), Action.ERASE)
        erased = await info.context.deps.customers.erase(info.context.principal, str(id), reason)
        return Customer.from_model(erased)

    @strawberry.mutation(
        description="Change stage, owner, tags or archive state of up to 500 customers (ids or "
        "a filter); each item commits on its own and reports its result (ADMIN, MANAGER, "
        "SALES, on the customers they may change). Errors: BAD_USER_INPUT (`ids` "
        "IDS_OR_FILTER, TOO_MANY; `change` REQUIRED; the filter's field errors), FORBIDDEN "
        "(another role; a new owner or team outside the caller's scope)."
    )
    async def bulk_update_customers(
        self,
        info: Info,
        change: Annotated[BulkChangeInput, strawberry.argument(description="What changes.")],
        ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                description="The customers, at most 500 (repeats count once); give `ids` or "
                "`filter`, not both."
            ),
        ] = None,
        filter: Annotated[
            CustomerFilterInput | None,
            strawberry.argument(
                description="Or the customers matching this filter, within the caller's "
                "scope: the first 500 (`truncated` when more match)."
            ),
        ] = None,
    ) -> BulkResult:
        principal = info.context.principal
        scope = access.condition(principal, Action.BULK)
        if scope is None:
            raise access.forbidden("*", Action.BULK)
        if change.owner_id is not None or change.team is not None:
            access.check_new_owner(principal, str(change.owner_id or ""), change.team)
        denied: list[BulkItemResult] = []
        targets = [str(i) for i in ids] if ids is not None else None
        if targets is not None and scope:
            targets, denied = await _bulk_targets(info, targets)
        result = await info.context.deps.bulk.apply(
            principal,
            targets,
            to_filter(filter, principal) if filter is not None else None,
            change.to_model(),
            scope=scope,
        )
        items = [
            BulkItemResult(
                id=strawberry.ID(i.id), ok=i.ok, version=i.version, code=i.code, message=i.message
            )
            for i in result.items
        ]
        return BulkResult(
            succeeded=result.succeeded,
            failed=len(result.items) - result.succeeded + len(denied),
            truncated=result.truncated,
            items=denied + items,
        )

    @strawberry.mutation(
        description="Show one masked field of a customer unmasked; recorded in the audit log "
        "(action customer.unmask). FORBIDDEN unless ADMIN or the MANAGER of its team; "
        "NOT_FOUND for an unknown id."
    )
    async def reveal_customer_field(
        self,
        info: Info,
        id: CustomerId,
        field: Annotated[RevealableField, strawberry.argument(description="Which field.")],
    ) -> RevealedField:
        principal = info.context.principal
        customer = await info.context.deps.customer_queries.get(str(id))
        values = access.reveal_value(principal, customer, str(field))  # FORBIDDEN: audited
        await record_now("customer.unmask", "Customer", customer.id, details={"field": str(field)})
        return RevealedField(customer_id=strawberry.ID(customer.id), field=field, values=values)
