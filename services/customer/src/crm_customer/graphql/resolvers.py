"""Root queries and mutations of the customer subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from crm_customer import access as policy
from crm_customer.bulk import BulkChange
from crm_customer.catalog.field_values import ValueFilter
from crm_customer.customers.filters import CustomerFilter, SortOrder, cursor_for
from crm_customer.customers.model import Customer as CustomerModel
from crm_customer.customers.model import CustomerChanges, NewCustomer
from crm_customer.customers.validators import INDUSTRY_SECTIONS
from crm_customer.customers.values import Address, ContactPerson
from crm_customer.duplicates.model import FieldChoice
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
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, NotFound
from crm_kit.events import utcnow
from crm_kit.graphql import PageInfo
from crm_kit.policy import Action, Scope, check_sizes, page_size


def _addresses(items: list[AddressInput] | None) -> list[Address] | None:
    if items is None:
        return None
    return [Address(a.province, a.city, a.district, a.street, a.postal_code) for a in items]


def _contacts(items: list[ContactPersonInput] | None) -> list[ContactPerson] | None:
    if items is None:
        return None
    return [ContactPerson(c.name, c.title, c.phones, c.emails, c.primary) for c in items]


def _custom_values(values: object) -> dict[str, Any] | None:
    """A `customFields` JSON input: None (leave as is) or an object {key: value}."""
    if values is None:
        return None
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise BadUserInput.single("customFields", "CUSTOM_FIELD_TYPE", "Expected an object")
    return dict(values)


def to_filter(f: CustomerFilterInput, principal: Principal) -> CustomerFilter:
    """The filter as the caller may search (`policy.searchable`)."""
    return policy.searchable(principal, _filter_of(f))


def _filter_of(f: CustomerFilterInput) -> CustomerFilter:
    check_sizes(  # input hardening: bounded strings and lists (values are typed, never operators)
        {
            "ownerId": f.owner_id,
            "team": f.team,
            "tag": f.tag,
            "tagsAny": list(f.tags_any),
            "tagsAll": list(f.tags_all),
            "tier": f.tier,
            "industry": f.industry,
            "region": f.region,
            "text": f.text,
            "customFields": [c.key for c in f.custom_fields],
        }
    )
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
        custom_fields=[ValueFilter(c.key, c.value) for c in f.custom_fields],
    )


async def _checked(info: Info, id: str, action: Action) -> CustomerModel:
    """The current record, if the caller may do `action` on it (FORBIDDEN otherwise)."""
    return policy.check(info.context.principal, await info.context.deps.customers.get(id), action)


async def _visible_pairs(info: Info, first: int) -> DuplicatePairList:
    """Candidate pairs whose both records the caller may read (a bounded scan: the count
    never includes a pair it cannot see)."""
    principal, repo = info.context.principal, info.context.deps.customers
    pairs = await repo.open_pairs(policy.PAIR_SCAN_LIMIT)
    found = await repo.get_many(sorted({i for p in pairs for i in p.customer_ids}))

    def visible(id: str) -> bool:
        customer = found.get(id)
        return customer is not None and policy.can(principal, customer)

    kept = [p for p in pairs if all(visible(i) for i in p.customer_ids)]
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
            for p in kept[:first]
        ],
        total_count=len(kept),
    )


async def _bulk_targets(info: Info, ids: list[str]) -> tuple[list[str], list[BulkItemResult]]:
    """Split requested ids into those the caller may change and a FORBIDDEN result for each
    other one (unknown ids stay in: they report NOT_FOUND as before)."""
    principal = info.context.principal
    found = await info.context.deps.customers.get_many(ids)
    allowed: list[str] = []
    denied: list[BulkItemResult] = []
    for id in dict.fromkeys(ids):
        customer = found.get(id)
        if customer is None or policy.can(principal, customer, Action.BULK):
            allowed.append(id)
        else:
            denied.append(
                BulkItemResult(
                    id=strawberry.ID(id),
                    ok=False,
                    version=None,
                    code="FORBIDDEN",
                    message=policy.forbidden(id, Action.BULK).message,
                )
            )
    return allowed, denied


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
        scope = policy.condition(info.context.principal, Action.LIST)
        if scope is None:
            raise policy.forbidden("*", Action.LIST)
        order = SortOrder(sort)
        page = await info.context.deps.customers.page(
            to_filter(filter or CustomerFilterInput(), info.context.principal),
            first=max(1, page_size(first, 20, policy.options())),
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
        await customer_loader(info).load(str(id))  # FORBIDDEN unless the caller may read it
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
        current = await info.context.deps.customers.get(str(id))  # also a merged-away record
        policy.check(info.context.principal, current)
        return await version_page(info, str(id), first, before_version)

    @strawberry.field(description="Open candidate duplicate pairs, strongest first.")
    async def possible_duplicates(self, info: Info, first: int = 20) -> DuplicatePairList:
        principal = info.context.principal
        principal.require_role(Role.ADMIN, Role.MANAGER, Role.SALES)
        repo = info.context.deps.customers
        size = max(1, page_size(first, 20, policy.options()))
        if policy.scope(principal, Action.LIST) is not Scope.ALL:
            return await _visible_pairs(info, size)
        pairs = await repo.open_pairs(size)
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
        scope = policy.condition(info.context.principal, Action.LIST)
        if scope is None:
            raise policy.forbidden("*", Action.LIST)
        stats = await info.context.deps.statistics.read(
            to_filter(filter or CustomerFilterInput(), info.context.principal),
            utcnow(),
            scope=scope,
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
        principal = info.context.principal
        owner_id, team = str(input.owner_id) if input.owner_id else None, input.team
        if policy.scope(principal, Action.CREATE) is Scope.OWN:
            owner_id, team = owner_id or principal.sub, team or principal.team or None
        if owner_id is not None or team is not None:
            policy.check_new_owner(principal, owner_id, team)
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
                owner_id=owner_id,
                team=team,
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
                custom_fields=_custom_values(input.custom_fields) or {},
            ),
            idempotency_key=input.idempotency_key,
            force=input.force,
        )
        return Customer.from_model(created)

    @strawberry.mutation(description="Partial update; fails with CONFLICT on a stale version.")
    async def update_customer(
        self, info: Info, id: strawberry.ID, expected_version: int, input: UpdateCustomerInput
    ) -> Customer:
        await _checked(info, str(id), Action.UPDATE)
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
                custom_fields=_custom_values(input.custom_fields),
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
        await _checked(info, str(id), Action.ASSIGN)
        policy.check_new_owner(info.context.principal, str(owner_id), team)
        assigned = await info.context.deps.commands.assign(
            info.context.principal, str(id), str(owner_id), team, expected_version
        )
        return Customer.from_model(assigned)

    @strawberry.mutation(description="Soft-delete: hidden from lists unless asked for.")
    async def archive_customer(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> Customer:
        await _checked(info, str(id), Action.ARCHIVE)
        done = await info.context.deps.commands.set_archived(
            info.context.principal, str(id), True, expected_version
        )
        return Customer.from_model(done)

    @strawberry.mutation(description="Bring an archived customer back.")
    async def unarchive_customer(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> Customer:
        await _checked(info, str(id), Action.ARCHIVE)
        done = await info.context.deps.commands.set_archived(
            info.context.principal, str(id), False, expected_version
        )
        return Customer.from_model(done)

    @strawberry.mutation(description="Restore the fields of a past version, as a new version.")
    async def restore_customer_version(
        self, info: Info, id: strawberry.ID, version: int, expected_version: int
    ) -> Customer:
        await _checked(info, str(id), Action.UPDATE)
        restored = await info.context.deps.commands.restore_version(
            info.context.principal, str(id), version, expected_version
        )
        return Customer.from_model(restored)

    @strawberry.mutation(
        description="Merge 2–10 records into the survivor with per-field choices; the others "
        "become tombstones that resolve to it. Emits customer.merged.v1."
    )
    async def merge_customers(self, info: Info, input: MergeCustomersInput) -> MergeResult:
        for customer_id in (input.survivor_id, *input.merged_ids):
            await _checked(info, str(customer_id), Action.MERGE)
        result = await info.context.deps.merges.merge(
            info.context.principal,
            str(input.survivor_id),
            [str(i) for i in input.merged_ids],
            [
                FieldChoice("name" if c.field == "displayName" else c.field, str(c.customer_id))
                for c in input.field_choices
            ],
            input.expected_version,
            idempotency_key=input.idempotency_key,
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
        await _checked(info, str(id), Action.ERASE)
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
        principal = info.context.principal
        scope = policy.condition(principal, Action.BULK)
        if scope is None:
            raise policy.forbidden("*", Action.BULK)
        if change.owner_id is not None or change.team is not None:
            policy.check_new_owner(principal, str(change.owner_id or ""), change.team)
        denied: list[BulkItemResult] = []
        targets = [str(i) for i in ids] if ids is not None else None
        if targets is not None and scope:
            targets, denied = await _bulk_targets(info, targets)
        result = await info.context.deps.bulk.apply(
            principal,
            targets,
            to_filter(filter, info.context.principal) if filter is not None else None,
            BulkChange(
                stage=change.stage,
                owner_id=str(change.owner_id) if change.owner_id else None,
                team=change.team,
                add_tags=list(change.add_tags),
                remove_tags=list(change.remove_tags),
                archived=change.archived,
            ),
            scope=scope,
        )
        return BulkResult(
            succeeded=result.succeeded,
            failed=len(result.items) - result.succeeded + len(denied),
            truncated=result.truncated,
            items=denied
            + [
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
