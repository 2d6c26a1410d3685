"""GraphQL of duplicates: candidate pairs for review, merging records into a survivor,
undoing a merge, and dismissing a pair."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_customer import access
from crm_customer.customers.graphql import checked
from crm_customer.customers.types import Customer, customer_loader
from crm_customer.duplicates.model import DuplicatePair as PairModel
from crm_customer.duplicates.model import DuplicateRule, FieldChoice
from crm_customer.graphql.context import Info
from crm_kit.auth import Role
from crm_kit.paging import page_size
from crm_kit.policy import Action, Scope

DuplicateRuleEnum = strawberry.enum(DuplicateRule, name="DuplicateRule")


@strawberry.type(description="Two records that may be the same customer, for review.")
class DuplicatePair:
    id: strawberry.ID
    customer_ids: list[strawberry.ID]
    rule: DuplicateRuleEnum  # type: ignore[valid-type]
    score: float
    status: str
    created_at: datetime

    @strawberry.field
    async def customers(self, info: Info) -> list[Customer]:
        loader = customer_loader(info)
        return [Customer.from_model(await loader.load(str(i))) for i in self.customer_ids]

    @classmethod
    def from_model(cls, p: PairModel) -> Self:
        return cls(
            id=strawberry.ID(p.id),
            customer_ids=[strawberry.ID(i) for i in p.customer_ids],
            rule=p.rule,
            score=p.score,
            status=p.status,
            created_at=p.created_at,
        )


@strawberry.type
class DuplicatePairList:
    items: list[DuplicatePair]
    total_count: int


@strawberry.input
class FieldChoiceInput:
    field: str = strawberry.field(
        description="The field as the Customer type names it: displayName, tier, tags, phones, "
        "emails, source, sourceDetail, referrer, gender, birthday, idCardNumber, wechatId, "
        "addresses, uscc, industry, companySize, website, contacts, customFields, stage, "
        "ownerId or team (`name` is accepted for displayName). Fields that only hold "
        "together move together: idCardNumber, birthday and gender; source, sourceDetail and "
        "referrer."
    )
    customer_id: strawberry.ID


@strawberry.input
class MergeCustomersInput:
    survivor_id: strawberry.ID
    merged_ids: list[strawberry.ID]
    field_choices: list[FieldChoiceInput] = strawberry.field(default_factory=list)
    expected_version: int | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first merge."
    )


@strawberry.type
class MergeResult:
    merge_id: strawberry.ID
    customer: Customer


async def _visible_pairs(info: Info, first: int) -> DuplicatePairList:
    """Candidate pairs whose both records the caller may read (a bounded scan: the count
    never includes a pair it cannot see)."""
    principal = info.context.principal
    pairs = await info.context.deps.duplicate_queries.open_pairs(access.PAIR_SCAN_LIMIT)
    ids = sorted({i for p in pairs for i in p.customer_ids})
    found = await info.context.deps.customer_queries.get_many(ids)

    def visible(id: str) -> bool:
        customer = found.get(id)
        return customer is not None and access.can(principal, customer)

    kept = [p for p in pairs if all(visible(i) for i in p.customer_ids)]
    return DuplicatePairList(
        items=[DuplicatePair.from_model(p) for p in kept[:first]], total_count=len(kept)
    )


@strawberry.type
class DuplicateQuery:
    @strawberry.field(description="Open candidate duplicate pairs, strongest first.")
    async def possible_duplicates(self, info: Info, first: int = 20) -> DuplicatePairList:
        principal = info.context.principal
        principal.require_role(Role.ADMIN, Role.MANAGER, Role.SALES)
        queries = info.context.deps.duplicate_queries
        size = max(1, page_size(first, 20, access.options()))
        if access.scope(principal, Action.LIST) is not Scope.ALL:
            return await _visible_pairs(info, size)
        pairs = await queries.open_pairs(size)
        return DuplicatePairList(
            items=[DuplicatePair.from_model(p) for p in pairs],
            total_count=await queries.count_open_pairs(),
        )


@strawberry.type
class DuplicateMutation:
    @strawberry.mutation(
        description="Merge 2–10 records into the survivor with per-field choices; the others "
        "become tombstones that resolve to it. Emits customer.merged.v1."
    )
    async def merge_customers(self, info: Info, input: MergeCustomersInput) -> MergeResult:
        for customer_id in (input.survivor_id, *input.merged_ids):
            await checked(info, str(customer_id), Action.MERGE)
        result = await info.context.deps.duplicates.merge(
            info.context.principal,
            str(input.survivor_id),
            [str(i) for i in input.merged_ids],
            [FieldChoice(c.field, str(c.customer_id)) for c in input.field_choices],
            input.expected_version,
            idempotency_key=input.idempotency_key,
        )
        return MergeResult(
            merge_id=strawberry.ID(result.merge_id), customer=Customer.from_model(result.survivor)
        )

    @strawberry.mutation(
        description="Undo a merge, within 30 days and while the survivor is unchanged since. "
        "Here: every record of the merge gets back, as a new version, the fields, match keys "
        "and identity it had before the merge — the merged-away records are live customers "
        "again (no longer resolving to the survivor) and the survivor loses the values the "
        "merge gave it; candidate pairs the merge closed stay closed. Elsewhere "
        "(customer.unmerged.v1): the interactions, tickets, tasks, purchases and timeline "
        "entries the merge moved to the survivor go back to the record they came from, and "
        "new items for a restored record are filed under it again; what was filed under the "
        "survivor after the merge stays with it. Returns the restored records, survivor first."
    )
    async def unmerge_customers(self, info: Info, merge_id: strawberry.ID) -> list[Customer]:
        restored = await info.context.deps.duplicates.unmerge(info.context.principal, str(merge_id))
        return [Customer.from_model(c) for c in restored]

    @strawberry.mutation(description="Close a candidate pair as not a duplicate.")
    async def dismiss_duplicate(self, info: Info, id: strawberry.ID) -> bool:
        await info.context.deps.duplicates.dismiss(info.context.principal, str(id))
        return True
