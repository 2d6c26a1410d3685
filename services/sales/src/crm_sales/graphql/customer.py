"""The `Customer` entity (owned by the customer subgraph) with the fields sales contributes:
its opportunities and its open pipeline.

Both are nullable (an outage here must not null the whole customer through the gateway), hold
only what the caller's opportunity list scope reaches (null with FORBIDDEN for a role without
one), and load through per-request DataLoaders: one `_entities` call costs the same queries
for one customer as for fifty, and for one opportunity as for fifty.
"""

from __future__ import annotations

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.graphql import PageFirst
from crm_sales.graphql import loaders
from crm_sales.graphql.common import MoneyType
from crm_sales.graphql.context import Info
from crm_sales.kanban.model import Totals
from crm_sales.money.model import zero
from crm_sales.opportunities.inputs import LATEST_FIRST, opportunity_filter
from crm_sales.opportunities.lists import ERRORS, Filter, OrderBy, keyed_page, scoped
from crm_sales.opportunities.queries import OpportunityFilter
from crm_sales.opportunities.types import OpportunityConnection
from crm_sales.opportunities.values import Status
from crm_sales.shared.clock import day_of
from crm_sales.shared.listing import OrderedAfter

_SCOPE = (
    " Only the deals the caller's opportunity list scope reaches; null with FORBIDDEN for a "
    "role without one."
)
OPEN = OpportunityFilter(statuses=(Status.OPEN,))


@strawberry.type(description="The open deals of a customer, counted and summed.")
class OpenPipeline:
    count: int = strawberry.field(description="How many open deals.")
    amount: MoneyType = strawberry.field(
        description="The sum of their amounts in the base currency at today's rates."
    )
    weighted_amount: MoneyType = strawberry.field(
        description="Σ amount × probability / 100 in the base currency."
    )
    currency: str = strawberry.field(description="The base currency of the sums.")
    unpriced_count: int = strawberry.field(
        description="Deals counted but not summed: no amount, or no rate in effect."
    )

    @classmethod
    def of(cls, totals: Totals) -> OpenPipeline:
        return cls(
            count=totals.count,
            amount=MoneyType(amount=totals.amount.text, currency=totals.amount.currency),
            weighted_amount=MoneyType(
                amount=totals.weighted.text, currency=totals.weighted.currency
            ),
            currency=totals.amount.currency,
            unpriced_count=totals.unpriced,
        )


def _open_pipelines(info: Info) -> DataLoader[str, Totals]:
    deps = info.context.deps
    where = scoped(info, OPEN)

    async def load(customer_ids: list[str]) -> list[Totals]:
        rates = await loaders.rate_table(info)
        today = day_of(deps.clock())
        found = await deps.board.totals_per_key(
            where,
            "customerId",
            customer_ids,
            rates=rates,
            today=today,
            pipelines=lambda ids: loaders.pipelines_by_id(info, ids),
        )
        empty = Totals(0, zero(rates.base), zero(rates.base), 0)
        return [found.get(c, empty) for c in customer_ids]

    return info.context.loader("sales.openPipeline", load)


@strawberry.federation.type(keys=["id"], description="A customer (owned by the customer subgraph)")
class Customer:
    id: strawberry.ID = strawberry.field(description="The customer's id.")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Customer:
        return cls(id=id)  # no database access: the fields load lazily, in batches

    @strawberry.field(
        description="The customer's opportunities, in the order asked for (latest change "
        f"first by default); the filter can only narrow them. {ERRORS}." + _SCOPE
    )
    async def opportunities(
        self,
        info: Info,
        filter: Filter = None,
        order_by: OrderBy = LATEST_FIRST,
        first: PageFirst = 20,
        after: OrderedAfter = None,
    ) -> OpportunityConnection | None:
        where = opportunity_filter(filter)
        order = (order_by or LATEST_FIRST).to_order()
        return await keyed_page(info, "customerId", str(self.id), where, order, first, after)

    @strawberry.field(
        description="The customer's open deals: how many, and their sums (raw and weighted by "
        "probability) in the base currency." + _SCOPE
    )
    async def open_pipeline(self, info: Info) -> OpenPipeline | None:
        return OpenPipeline.of(await _open_pipelines(info).load(str(self.id)))
