"""The `StaffMember` entity (owned by the customer subgraph) as sales refers to it — the owner,
creator or actor of a record — and the field sales contributes: the member's open deals."""

from __future__ import annotations

from dataclasses import replace

import strawberry

from crm_kit.graphql import PageFirst
from crm_sales.graphql.context import Info
from crm_sales.opportunities.inputs import opportunity_filter
from crm_sales.opportunities.lists import ERRORS, Filter, OrderBy, keyed_page
from crm_sales.opportunities.queries import SOONEST_CLOSE
from crm_sales.opportunities.types import OpportunityConnection
from crm_sales.opportunities.values import Status
from crm_sales.shared.listing import OrderedAfter


@strawberry.federation.type(
    keys=["id"],
    description="A member of staff (owned by the customer subgraph, which resolves the "
    "directory's fields).",
)
class StaffMember:
    id: strawberry.ID = strawberry.field(description="The staff id: the `sub` of their tokens.")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> StaffMember:
        return cls(id=id)  # no database access: the field loads lazily, in batches

    @strawberry.field(
        description="The open deals this member owns that the caller's opportunity list scope "
        "reaches, soonest expected close first by default; the filter can only narrow them "
        "(its `statuses` are ignored: open deals only). "
        f"Null with FORBIDDEN for a role without a scope. {ERRORS}."
    )
    async def open_opportunities(
        self,
        info: Info,
        filter: Filter = None,
        order_by: OrderBy = None,
        first: PageFirst = 20,
        after: OrderedAfter = None,
    ) -> OpportunityConnection | None:
        where = replace(opportunity_filter(filter), statuses=(Status.OPEN,))
        order = order_by.to_order() if order_by is not None else SOONEST_CLOSE
        return await keyed_page(info, "ownerId", str(self.id), where, order, first, after)
