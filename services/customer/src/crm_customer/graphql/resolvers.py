"""Root queries and mutations of the customer subgraph."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_customer.bulk import BulkChange
from crm_customer.domain import Address, ContactPerson, CustomerChanges, NewCustomer
from crm_customer.graphql.context import Info
from crm_customer.graphql.loaders import customer_loader
from crm_customer.graphql.types import (
    AddressInput,
    BulkChangeInput,
    BulkItemResult,
    BulkResult,
    ContactPersonInput,
    CountBucket,
    CreateCustomerInput,
    Customer,
    CustomerConnection,
    CustomerEdge,
    CustomerFilterInput,
    CustomerStatistics,
    CustomerVersionConnection,
    DuplicatePair,
    DuplicatePairList,
    IndustrySection,
    MergeCustomersInput,
    MergeResult,
    SortEnum,
    StageTransition,
    UpdateCustomerInput,
    WeekCount,
    version_page,
)
from crm_customer.merge import FieldChoice
from crm_customer.repository import CustomerFilter, SortOrder, cursor_for
from crm_customer.validators import INDUSTRY_SECTIONS
from crm_kit.auth import Role
from crm_kit.errors import NotFound
from crm_kit.events import utcnow
from crm_kit.graphql import PageInfo

MAX_PAGE = 100


def _addresses(items: list[AddressInput] | None) -> list[Address] | None:
    if items is None:
        return None
    return [Address(a.province, a.city, a.district, a.street, a.postal_code) for a in items]


def _contacts(items: list[ContactPersonInput] | None) -> list[ContactPerson] | None:
    if items is None:
        return None
    return [ContactPerson(c.name, c.title, c.phones, c.emails, c.primary) for c in items]


def to_filter(f: CustomerFilterInput) -> CustomerFilter:
    return CustomerFilter(
        stage=f.stage,
        stages=list(f.stages),
        owner_id=str(f.owner_id) if f.owner_id else None,
        team=f.team,
        tag=f.tag,
        tags_any=list(f.tags_any),
        tags_all=list(f.tags_all),
        tier=f.tier,
        source=f.source,
        kind=f.kind,
        industry=f.industry,
        region=f.region,
        created_from=f.created_from,
        created_to=f.created_to,
        updated_from=f.updated_from,
        updated_to=f.updated_to,
        text=f.text,
        include_archived=f.include_archived,
        archived_only=f.archived_only,
    )


@strawberry.type
class Query:
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
        info.context.principal  # noqa: B018
        order = SortOrder(sort)
        page = await info.context.deps.customers.page(
            to_filter(filter or CustomerFilterInput()),
            first=max(1, min(first, MAX_PAGE)),
            after=after,
            sort=order,
        )
        edges = [
            CustomerEdge(cursor=cursor_for(c, order), node=Customer.from_model(c))
            for c in page.items
        ]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )

    @strawberry.field(description="The customer as it was at a point in time.")
    async def customer_as_of(self, info: Info, id: strawberry.ID, at: datetime) -> Customer:
        info.context.principal  # noqa: B018
        state = await info.context.deps.customers.state_at(str(id), at)
        if state is None:
            raise NotFound("Customer", str(id))
        return Customer.from_model(state)

    @strawberry.field(
        description="The version history kept under this id, also for a merged-away record "
        "(whose `customer(id)` resolves to the survivor)."
    )
    async def customer_history(
        self, info: Info, id: strawberry.ID, first: int = 20, before_version: int | None = None
    ) -> CustomerVersionConnection:
        info.context.principal  # noqa: B018
        return await version_page(info, str(id), first, before_version)

    @strawberry.field(description="Open candidate duplicate pairs, strongest first.")
    async def possible_duplicates(self, info: Info, first: int = 20) -> DuplicatePairList:
        info.context.principal.require_role(Role.ADMIN, Role.MANAGER, Role.SALES)
        repo = info.context.deps.customers
        pairs = await repo.open_pairs(max(1, min(first, MAX_PAGE)))
        return DuplicatePairList(
            items=[
                DuplicatePair(
                    id=strawberry.ID(p.id),
                    customer_ids=[strawberry.ID(i) for i in p.customer_ids],
                    rule=p.rule,
                    score=p.score,
                    status=p.status,
                    created_at=p.created_at,
                )
                for p in pairs
            ],
            total_count=await repo.count_open_pairs(),
        )

    @strawberry.field(description="Counts for dashboards: by stage, source, industry, …")
    async def customer_statistics(
        self, info: Info, filter: CustomerFilterInput | None = None
    ) -> CustomerStatistics:
        info.context.principal  # noqa: B018
        stats = await info.context.deps.statistics.read(
            to_filter(filter or CustomerFilterInput()), utcnow()
        )

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

    @strawberry.field(description="GB/T 4754-2017 industry sections (codes for `industry`).")
    def industry_sections(self) -> list[IndustrySection]:
        return [
            IndustrySection(code=code, name_zh=zh, name_en=en)
            for code, (zh, en) in INDUSTRY_SECTIONS.items()
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Refuses an exact duplicate (identity number, credit code, phone, email) "
        "with CONFLICT naming the existing customer unless `force` is set."
    )
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> Customer:
        created = await info.context.deps.commands.create(
            info.context.principal,
            NewCustomer(
                kind=input.kind,
                name=input.name,
                stage=input.stage,
                tier=input.tier,
                tags=input.tags,
                phones=input.phones,
                emails=input.emails,
                source=input.source,
                source_detail=input.source_detail,
                referrer=input.referrer,
                owner_id=str(input.owner_id) if input.owner_id else None,
                team=input.team,
                gender=input.gender,
                birthday=input.birthday,
                id_card_number=input.id_card_number,
                wechat_id=input.wechat_id,
                addresses=_addresses(input.addresses) or [],
                uscc=input.uscc,
                industry=input.industry,
                company_size=input.company_size,
                website=input.website,
                contacts=_contacts(input.contacts) or [],
            ),
            idempotency_key=input.idempotency_key,
            force=input.force,
        )
        return Customer.from_model(created)

    @strawberry.mutation(description="Partial update; fails with CONFLICT on a stale version.")
    async def update_customer(
        self, info: Info, id: strawberry.ID, expected_version: int, input: UpdateCustomerInput
    ) -> Customer:
        updated = await info.context.deps.commands.update(
            info.context.principal,
            str(id),
            expected_version,
            CustomerChanges(
                name=input.name,
                stage=input.stage,
                tier=input.tier,
                tags=input.tags,
                phones=input.phones,
                emails=input.emails,
                source=input.source,
                source_detail=input.source_detail,
                referrer=input.referrer,
                gender=input.gender,
                birthday=input.birthday,
                id_card_number=input.id_card_number,
                wechat_id=input.wechat_id,
                addresses=_addresses(input.addresses),
                uscc=input.uscc,
                industry=input.industry,
                company_size=input.company_size,
                website=input.website,
                contacts=_contacts(input.contacts),
            ),
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
        assigned = await info.context.deps.commands.assign(
            info.context.principal, str(id), str(owner_id), team, expected_version
        )
        return Customer.from_model(assigned)

    @strawberry.mutation(description="Soft-delete: hidden from lists unless asked for.")
    async def archive_customer(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> Customer:
        done = await info.context.deps.commands.set_archived(
            info.context.principal, str(id), True, expected_version
        )
        return Customer.from_model(done)

    @strawberry.mutation(description="Bring an archived customer back.")
    async def unarchive_customer(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> Customer:
        done = await info.context.deps.commands.set_archived(
            info.context.principal, str(id), False, expected_version
        )
        return Customer.from_model(done)

    @strawberry.mutation(description="Restore the fields of a past version, as a new version.")
    async def restore_customer_version(
        self, info: Info, id: strawberry.ID, version: int, expected_version: int
    ) -> Customer:
        restored = await info.context.deps.commands.restore_version(
            info.context.principal, str(id), version, expected_version
        )
        return Customer.from_model(restored)

    @strawberry.mutation(
        description="Merge 2–10 records into the survivor with per-field choices; the others "
        "become tombstones that resolve to it. Emits customer.merged.v1."
    )
    async def merge_customers(self, info: Info, input: MergeCustomersInput) -> MergeResult:
        result = await info.context.deps.merges.merge(
            info.context.principal,
            str(input.survivor_id),
            [str(i) for i in input.merged_ids],
            [
                FieldChoice("name" if c.field == "displayName" else c.field, str(c.customer_id))
                for c in input.field_choices
            ],
            input.expected_version,
        )
        return MergeResult(
            merge_id=strawberry.ID(result.merge_id), customer=Customer.from_model(result.survivor)
        )

    @strawberry.mutation(description="Undo a merge (within 30 days, survivor unchanged since).")
    async def unmerge_customers(self, info: Info, merge_id: strawberry.ID) -> list[Customer]:
        restored = await info.context.deps.merges.unmerge(info.context.principal, str(merge_id))
        return [Customer.from_model(c) for c in restored]

    @strawberry.mutation(
        description="ADMIN: erase personal data on request (kept as an archived tombstone); "
        "history values are redacted. Emits customer.erased.v1."
    )
    async def erase_customer(self, info: Info, id: strawberry.ID, reason: str) -> Customer:
        erased = await info.context.deps.commands.erase(info.context.principal, str(id), reason)
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
        result = await info.context.deps.bulk.apply(
            info.context.principal,
            [str(i) for i in ids] if ids is not None else None,
            to_filter(filter) if filter is not None else None,
            BulkChange(
                stage=change.stage,
                owner_id=str(change.owner_id) if change.owner_id else None,
                team=change.team,
                add_tags=list(change.add_tags),
                remove_tags=list(change.remove_tags),
                archived=change.archived,
            ),
        )
        return BulkResult(
            succeeded=result.succeeded,
            failed=len(result.items) - result.succeeded,
            truncated=result.truncated,
            items=[
                BulkItemResult(
                    id=strawberry.ID(i.id),
                    ok=i.ok,
                    version=i.version,
                    code=i.code,
                    message=i.message,
                )
                for i in result.items
            ],
        )

    @strawberry.mutation(description="Close a candidate pair as not a duplicate.")
    async def dismiss_duplicate(self, info: Info, id: strawberry.ID) -> bool:
        await info.context.deps.commands.resolve_duplicate(
            info.context.principal, str(id), "DISMISSED"
        )
        return True
