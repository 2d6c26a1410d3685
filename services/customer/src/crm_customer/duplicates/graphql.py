"""GraphQL of duplicates: candidate pairs for review, merging records into a survivor,
undoing a merge, and dismissing a pair."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from crm_customer import access
from crm_customer.customers.arguments import RECORD_ERRORS
from crm_customer.customers.graphql import checked
from crm_customer.customers.types import Customer, customer_loader
from crm_customer.duplicates.model import DuplicatePair as PairModel
from crm_customer.duplicates.model import DuplicateRule, FieldChoice, PairStatus
from crm_customer.graphql.context import Info
from crm_kit.auth import Role
from crm_kit.graphql import PageAfter, PageFirst, PageInfo, described_enum, page_info
from crm_kit.paging import decode_position, encode_position, page_size
from crm_kit.policy import Action, Scope

DuplicateRuleEnum = described_enum(
    DuplicateRule,
    name="DuplicateRule",
    description="Why two records may be the same customer, strongest first. The exact rules "
    "(ID_CARD, USCC, PHONE, EMAIL) also refuse a create unless forced; the name rules only "
    "propose pairs for review.",
    values={
        "ID_CARD": "The same ID-card number (score 1.0).",
        "USCC": "The same unified social credit code (score 1.0).",
        "PHONE": "A phone number in common (score 0.9).",
        "EMAIL": "An e-mail address in common (score 0.85).",
        "NAME_BIRTHDAY": "Persons of the same name and birthday in the same region (0.65).",
        "NAME_REGION": "Enterprises of the same name in the same region, legal forms ignored "
        "(0.6).",
        "NAME_SIMILAR": "A similar name in the same region: enterprises, or persons of the same "
        "birthday (at most 0.55, by similarity).",
    },
)


described_enum(
    PairStatus,
    "Where a candidate pair is in review.",
    {
        PairStatus.OPEN: "Awaiting review: merge the two records or dismiss the pair.",
        PairStatus.MERGED: "Closed: the records were merged.",
        PairStatus.DISMISSED: "Closed: a reviewer said they are different customers.",
        PairStatus.ERASED: "Closed: one of the records was erased.",
    },
    name="DuplicatePairStatus",
)


@strawberry.type(description="Two records that may be the same customer, for review.")
class DuplicatePair:
    id: strawberry.ID = strawberry.field(description="The pair's id.")
    customer_ids: list[strawberry.ID] = strawberry.field(description="The two records' ids.")
    rule: DuplicateRuleEnum = strawberry.field(  # type: ignore[valid-type]
        description="The strongest rule they match by."
    )
    score: float = strawberry.field(
        description="How likely they are the same customer, 0–1 (see DuplicateRule)."
    )
    status: PairStatus = strawberry.field(
        description="OPEN while it awaits review; MERGED, DISMISSED or ERASED once closed."
    )
    created_at: datetime = strawberry.field(
        description="When the pair was found (ISO 8601 date-time, UTC)."
    )

    @strawberry.field(
        description="The two records (FORBIDDEN at its path for one the caller may not read)."
    )
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
            status=PairStatus(p.status),
            created_at=p.created_at,
        )


@strawberry.type(description="One candidate pair of a page of `possibleDuplicates`.")
class DuplicatePairEdge:
    cursor: str = strawberry.field(
        description="Opaque cursor of this pair: pass it as `after` for the pairs after it."
    )
    node: DuplicatePair = strawberry.field(description="The pair.")


@strawberry.type(
    description="A page of open candidate pairs, strongest first (equal scores in a fixed "
    "order), paged with `first` / `after`."
)
class DuplicatePairConnection:
    edges: list[DuplicatePairEdge] = strawberry.field(
        description="The pairs of this page, strongest first."
    )
    page_info: PageInfo = strawberry.field(
        description="Where this page ends and whether another follows."
    )
    total_count: int = strawberry.field(
        description="All open pairs, over all pages; for a caller who may not list every "
        f"customer, those among the {access.PAIR_SCAN_LIMIT} strongest whose two records they "
        "may read."
    )


@strawberry.type(description="What `unmergeCustomers` restored.")
class UnmergeCustomersPayload:
    customers: list[Customer] = strawberry.field(
        description="The records of the merge as restored, survivor first."
    )


@strawberry.type(description="What `dismissDuplicate` closed.")
class DismissDuplicatePayload:
    pair_id: strawberry.ID = strawberry.field(description="The dismissed pair's id.")
    dismissed: bool = strawberry.field(
        description="True: the pair is closed as not a duplicate (status DISMISSED)."
    )


_PAIRS = "duplicates"  # the cursor's list: open pairs by score


def _pair_key(p: PairModel) -> tuple[float, str]:
    return (-p.score, p.id)


def _connection(
    pairs: list[PairModel], size: int, total: int, after: str | None
) -> DuplicatePairConnection:
    edges = [
        DuplicatePairEdge(
            cursor=encode_position([p.score, p.id], _PAIRS), node=DuplicatePair.from_model(p)
        )
        for p in pairs[:size]
    ]
    return DuplicatePairConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], len(pairs) > size, after is not None),
        total_count=total,
    )


@strawberry.input(description="Which record's value the survivor keeps for one field.")
class FieldChoiceInput:
    field: str = strawberry.field(
        description="The field as the Customer type names it: displayName, tier, tags, phones, "
        "emails, source, sourceDetail, referrer, gender, birthday, idCardNumber, wechatId, "
        "addresses, uscc, industry, companySize, website, contacts, customFields, stage, "
        "ownerId or team (`name` is accepted for displayName). Fields that only hold "
        "together move together: idCardNumber, birthday and gender; source, sourceDetail and "
        "referrer. Another name is `fieldChoices[i].field` UNKNOWN_FIELD."
    )
    customer_id: strawberry.ID = strawberry.field(
        description="The record whose value is kept: the survivor or a merged one "
        "(`fieldChoices[i].customerId` NOT_IN_MERGE otherwise)."
    )


@strawberry.input(description="Records to merge into a survivor.")
class MergeCustomersInput:
    survivor_id: strawberry.ID = strawberry.field(description="The record that stays, with its id.")
    merged_ids: list[strawberry.ID] = strawberry.field(
        description="The records merged into it: with the survivor 2–10 distinct records "
        "(`mergedIds` DUPLICATE_ID, MERGE_SIZE) of one kind (KIND_MISMATCH)."
    )
    field_choices: list[FieldChoiceInput] = strawberry.field(
        default_factory=list,
        description="Per-field choices. Without one a field keeps the survivor's value (else "
        "the first other record's), a list (tags, phones, emails, addresses, contacts) becomes "
        "the union, survivor first, and custom fields merge per key.",
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description="The survivor's current version: another one is a CONFLICT; null: no check.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="1–200 characters. Retrying with the same key returns the first merge.",
    )


@strawberry.type(description="A merge done.")
class MergeResult:
    merge_id: strawberry.ID = strawberry.field(
        description="The merge's id, for `unmergeCustomers` (within 30 days)."
    )
    customer: Customer = strawberry.field(description="The survivor after the merge.")


async def _visible_pairs(
    info: Info, size: int, position: tuple[float, str] | None, after: str | None
) -> DuplicatePairConnection:
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
    rest = kept
    if position is not None:
        start = (-position[0], position[1])
        rest = [p for p in kept if _pair_key(p) > start]
    return _connection(rest, size, len(kept), after)


@strawberry.type
class DuplicateQuery:
    @strawberry.field(
        description="Open candidate duplicate pairs, strongest first (ADMIN, MANAGER, SALES; "
        "only pairs whose two records the caller may read). Errors: BAD_USER_INPUT (`first` "
        "OUT_OF_RANGE, `after` INVALID_CURSOR), FORBIDDEN."
    )
    async def possible_duplicates(
        self,
        info: Info,
        first: PageFirst = 20,
        after: PageAfter = None,
    ) -> DuplicatePairConnection:
        principal = info.context.principal
        principal.require_role(Role.ADMIN, Role.MANAGER, Role.SALES)
        queries = info.context.deps.duplicate_queries
        size = page_size(first, 20, access.options())
        position = None
        if after is not None:
            score, id = decode_position(after, (float, str), _PAIRS)
            position = (float(score), str(id))
        if access.scope(principal, Action.LIST) is not Scope.ALL:
            return await _visible_pairs(info, size, position, after)
        pairs = await queries.open_pairs(size + 1, position)
        return _connection(pairs, size, await queries.count_open_pairs(), after)


@strawberry.type
class DuplicateMutation:
    @strawberry.mutation(
        description="Merge 2–10 records into the survivor with per-field choices; the others "
        "become tombstones that resolve to it. ADMIN, MANAGER on records they may merge. "
        "Emits customer.merged.v1. Errors: BAD_USER_INPUT (`mergedIds` DUPLICATE_ID, "
        "MERGE_SIZE, KIND_MISMATCH; `fieldChoices[i].field` UNKNOWN_FIELD; "
        "`fieldChoices[i].customerId` NOT_IN_MERGE; the merged record's field errors, as on "
        "updateCustomer; `idempotencyKey` REQUIRED, TOO_LONG), " + RECORD_ERRORS + ", "
        "FORBIDDEN."
    )
    async def merge_customers(
        self,
        info: Info,
        input: Annotated[MergeCustomersInput, strawberry.argument(description="The merge.")],
    ) -> MergeResult:
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
        "survivor after the merge stays with it. Returns the restored records, survivor first. "
        "ADMIN, MANAGER. Errors: BAD_USER_INPUT (`mergeId` ALREADY_UNMERGED, "
        "RETENTION_EXPIRED), NOT_FOUND, CONFLICT (the survivor changed since the merge, with "
        "`currentVersion`), FORBIDDEN."
    )
    async def unmerge_customers(
        self,
        info: Info,
        merge_id: Annotated[
            strawberry.ID, strawberry.argument(description="The merge's id (`mergeId`).")
        ],
    ) -> UnmergeCustomersPayload:
        restored = await info.context.deps.duplicates.unmerge(info.context.principal, str(merge_id))
        return UnmergeCustomersPayload(customers=[Customer.from_model(c) for c in restored])

    @strawberry.mutation(
        description="Close a candidate pair as not a duplicate (ADMIN, MANAGER). Errors: "
        "NOT_FOUND, FORBIDDEN."
    )
    async def dismiss_duplicate(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The pair's id.")],
    ) -> DismissDuplicatePayload:
        await info.context.deps.duplicates.dismiss(info.context.principal, str(id))
        return DismissDuplicatePayload(pair_id=id, dismissed=True)
