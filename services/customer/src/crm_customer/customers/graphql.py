"""GraphQL queries and mutations of customers: read one or a list, statistics, create,
update, assign, archive, erase, bulk changes, and the audited reveal of a masked field."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from crm_customer import access
from crm_customer.customers.filters import SortOrder, cursor_for
from crm_customer.customers.inputs import (
    BulkChangeInput,
    CreateCustomerInput,
    CustomerFilterInput,
    UpdateCustomerInput,
    to_filter,
)
from crm_customer.customers.model import Customer as CustomerModel
from crm_customer.customers.queries import Statistics
from crm_customer.customers.types import (
    BulkItemResult,
    BulkResult,
    CountBucket,
    Customer,
    CustomerConnection,
    CustomerEdge,
    CustomerStatistics,
    IndustrySection,
    SortEnum,
    StageTransition,
    WeekCount,
    customer_loader,
)
from crm_customer.customers.validators import INDUSTRY_SECTIONS
from crm_customer.graphql.context import Info
from crm_kit.audit import record_now
from crm_kit.events import utcnow
from crm_kit.graphql import page_info
from crm_kit.paging import page_size
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
    @strawberry.field(description="One customer: the root of the customer 360 view.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        info.context.principal  # noqa: B018 - authenticate before any data is read
        return Customer.from_model(await customer_loader(info).load(str(id)))

    @strawberry.field(description="Customers matching a filter; newest first unless sorted.")
    async def customers(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: CustomerFilterInput | None = None,
        sort: SortEnum = SortOrder.CREATED_DESC,  # type: ignore[valid-type]
    ) -> CustomerConnection:
        scope = access.condition(info.context.principal, Action.LIST)
        if scope is None:
            raise access.forbidden("*", Action.LIST)
        order = SortOrder(sort)
        page = await info.context.deps.customer_queries.page(
            to_filter(filter, info.context.principal),
            first=max(1, page_size(first, 20, access.options())),
            after=after,
            sort=order,
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

    @strawberry.field(description="Counts for dashboards: by stage, source, industry, …")
    async def customer_statistics(
        self, info: Info, filter: CustomerFilterInput | None = None
    ) -> CustomerStatistics:
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


@strawberry.enum(description="A masked customer field that may be revealed.")
class RevealableField(StrEnum):
    ID_CARD_NUMBER = "idCardNumber"
    PHONES = "phones"
    EMAILS = "emails"


@strawberry.type(description="A field's unmasked value(s); the reveal is in the audit log.")
class RevealedField:
    customer_id: strawberry.ID
    field: RevealableField
    values: list[str]


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(
        description="Refuses an exact duplicate (identity number, credit code, phone, email) "
        "with CONFLICT naming the existing customer unless `force` is set."
    )
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> Customer:
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

    @strawberry.mutation(description="Partial update; fails with CONFLICT on a stale version.")
    async def update_customer(
        self, info: Info, id: strawberry.ID, expected_version: int, input: UpdateCustomerInput
    ) -> Customer:
        await checked(info, str(id), Action.UPDATE)
        updated = await info.context.deps.customers.update(
            info.context.principal, str(id), expected_version, input.to_model()
        )
        return Customer.from_model(updated)

    @strawberry.mutation(description="Give the customer a new owner (and optionally team).")
    async def assign_customer(
        self,
        info: Info,
        id: strawberry.ID,
        owner_id: strawberry.ID,
        team: str | None = None,
        expected_version: int | None = None,
    ) -> Customer:
        await checked(info, str(id), Action.ASSIGN)
        access.check_new_owner(info.context.principal, str(owner_id), team)
        assigned = await info.context.deps.customers.assign(
            info.context.principal, str(id), str(owner_id), team, expected_version
        )
        return Customer.from_model(assigned)

    @strawberry.mutation(description="Soft-delete: hidden from lists unless asked for.")
    async def archive_customer(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> Customer:
        await checked(info, str(id), Action.ARCHIVE)
        done = await info.context.deps.customers.set_archived(
            info.context.principal, str(id), True, expected_version
        )
        return Customer.from_model(done)

    @strawberry.mutation(description="Bring an archived customer back.")
    async def unarchive_customer(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> Customer:
        await checked(info, str(id), Action.ARCHIVE)
        done = await info.context.deps.customers.set_archived(
            info.context.principal, str(id), False, expected_version
        )
        return Customer.from_model(done)

    @strawberry.mutation(
        description="ADMIN: erase personal data on request (kept as an archived tombstone); "
        "history values are redacted. Emits customer.erased.v1."
    )
    async def erase_customer(self, info: Info, id: strawberry.ID, reason: str) -> Customer:
        await checked(info, str(id), Action.ERASE)
        erased = await info.context.deps.customers.erase(info.context.principal, str(id), reason)
        return Customer.from_model(erased)

    @strawberry.mutation(
        description="Change stage, owner, tags or archive state of up to 500 customers (ids or "
        "a filter); each item commits on its own and reports its result."
    )
    async def bulk_update_customers(
        self,
        info: Info,
        change: BulkChangeInput,
        ids: list[strawberry.ID] | None = None,
        filter: CustomerFilterInput | None = None,
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
        "(action customer.unmask). FORBIDDEN unless ADMIN or the MANAGER of its team."
    )
    async def reveal_customer_field(
        self, info: Info, id: strawberry.ID, field: RevealableField
    ) -> RevealedField:
        principal = info.context.principal
        customer = await info.context.deps.customer_queries.get(str(id))
        values = access.reveal_value(principal, customer, str(field))  # FORBIDDEN: audited
        await record_now("customer.unmask", "Customer", customer.id, details={"field": str(field)})
        return RevealedField(customer_id=strawberry.ID(customer.id), field=field, values=values)
