"""GraphQL of possible duplicate opportunities: `possibleDuplicateOpportunities`, groups of
open deals of one customer whose names match (see `model.name_key`); each group is a
candidate for `mergeOpportunities`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from crm_kit.graphql import PageAfter, PageFirst, PageInfo, page_info
from crm_kit.paging import page_size
from crm_kit.policy import Action
from crm_sales import access
from crm_sales.duplicates.queries import GROUP_ORDER, MAX_GROUP_SIZE, DuplicateGroup
from crm_sales.graphql.context import Info
from crm_sales.graphql.refs import CustomerEntity, customer_ref
from crm_sales.opportunities.types import OpportunityType


@strawberry.type(
    name="OpportunityDuplicateGroup",
    description="Open deals of one customer whose names match once case, full- or half-width "
    "forms, spaces and punctuation are ignored: possibly the same deal entered twice.",
)
class DuplicateGroupType:
    customer_id: strawberry.ID = strawberry.field(description="Their customer.")
    size: int = strawberry.field(description="How many open deals match (at least 2).")
    group: strawberry.Private[DuplicateGroup]

    @strawberry.field(description="The customer (resolved by the customer subgraph).")
    def customer(self) -> CustomerEntity:
        return customer_ref(str(self.customer_id))

    @strawberry.field(description=f"The matching deals, oldest first (at most {MAX_GROUP_SIZE}).")
    async def opportunities(self, info: Info) -> list[OpportunityType]:
        found = await info.context.deps.opportunity_queries.get_many(self.group.opportunity_ids)
        return [OpportunityType.of(found[i]) for i in self.group.opportunity_ids if i in found]


@strawberry.type(name="OpportunityDuplicateGroupEdge", description="A group and its cursor.")
class DuplicateGroupEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: DuplicateGroupType = strawberry.field(description="The group.")


@strawberry.type(
    name="OpportunityDuplicateGroupConnection",
    description="A page of possible duplicate groups, by customer and name.",
)
class DuplicateGroupConnection:
    edges: list[DuplicateGroupEdge] = strawberry.field(description="This page's groups.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All groups of the list (over all pages).")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type
class DuplicateQuery:
    @strawberry.field(
        description="Possible duplicate opportunities: groups of two or more open deals of the "
        "same customer whose names match (case, full/half width, spaces and punctuation "
        "ignored), among the deals the caller may list (SALES their own, MANAGER their team's, "
        "ADMIN and ANALYST all), by customer and name. Merge them with mergeOpportunities. "
        "Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE; `after` INVALID_CURSOR), FORBIDDEN."
    )
    async def possible_duplicate_opportunities(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this customer's deals; all when omitted."),
        ] = None,
        first: PageFirst = 20,
        after: PageAfter = None,
    ) -> DuplicateGroupConnection:
        condition = access.condition(info.context.principal, Action.LIST)
        queries = info.context.deps.duplicates
        customer = str(customer_id) if customer_id else None
        size, position = page_size(first), GROUP_ORDER.position(after)
        page = await queries.page(condition, customer, size, position)
        edges = [
            DuplicateGroupEdge(
                cursor=cursor,
                node=DuplicateGroupType(
                    customer_id=strawberry.ID(g.customer_id), size=g.size, group=g
                ),
            )
            for g, cursor in zip(page.items, page.cursors, strict=True)
        ]
        return DuplicateGroupConnection(
            edges=edges,
            page_info=page_info(page.cursors, page.has_next, position is not None),
            count=lambda: queries.count(condition, customer),
        )
