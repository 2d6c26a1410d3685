"""GraphQL of purchases: the purchase types, `recordPurchase`, and `Customer.purchases`
(batched per `_entities` call)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer_and_arguments
from crm_interaction.purchases import model as purchases
from crm_interaction.purchases.model import Purchase
from crm_kit.paging import page_size
from crm_kit.policy import Action, Resource

strawberry.enum(purchases.PurchaseStatus, description="Order state")


@strawberry.type(description="An amount of money: exact decimal string plus ISO 4217 code")
class Money:
    amount: str
    currency: str


@strawberry.type(name="PurchaseItem")
class PurchaseItemType:
    sku: str
    name: str
    quantity: int
    unit_price: Money


@strawberry.type(name="Purchase", description="An order / purchase by the customer")
class PurchaseType:
    id: strawberry.ID
    customer_id: strawberry.ID
    order_number: str
    items: list[PurchaseItemType]
    amount: Money
    status: purchases.PurchaseStatus
    purchased_at: datetime
    source: str
    external_id: str
    recorded_at: datetime
    version: int

    @classmethod
    def from_domain(cls, p: purchases.Purchase) -> PurchaseType:
        return cls(
            id=strawberry.ID(p.id),
            customer_id=strawberry.ID(p.customer_id),
            order_number=p.order_number,
            items=[
                PurchaseItemType(
                    sku=i.sku,
                    name=i.name,
                    quantity=i.quantity,
                    unit_price=Money(amount=str(i.unit_price), currency=p.currency),
                )
                for i in p.items
            ],
            amount=Money(amount=str(p.amount), currency=p.currency),
            status=p.status,
            purchased_at=p.purchased_at,
            source=p.source,
            external_id=p.external_id,
            recorded_at=p.recorded_at,
            version=p.version,
        )


@strawberry.type
class RecordPurchasePayload:
    purchase: PurchaseType
    changed: bool = strawberry.field(description="false when this was a replay of the same data")


@strawberry.input
class PurchaseItemInput:
    sku: str
    name: str = ""
    quantity: int = 1
    unit_price: str = strawberry.field(description="Decimal string in the order's currency")


@strawberry.input
class RecordPurchaseInput:
    customer_id: strawberry.ID
    order_number: str
    amount: str = strawberry.field(description='Decimal string, e.g. "1299.00"')
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY")
    purchased_at: datetime
    source: str = strawberry.field(description="The system the order comes from, e.g. erp")
    external_id: str = strawberry.field(description="The order's id in that system")
    status: purchases.PurchaseStatus = purchases.PurchaseStatus.PAID
    items: list[PurchaseItemInput] | None = None

    def to_command(self) -> purchases.RecordPurchase:
        return purchases.RecordPurchase(
            customer_id=str(self.customer_id),
            order_number=self.order_number,
            amount=self.amount,
            currency=self.currency,
            purchased_at=self.purchased_at,
            source=self.source,
            external_id=self.external_id,
            status=self.status,
            items=tuple((i.sku, i.name, i.quantity, i.unit_price) for i in self.items or ()),
        )


def _latest(info: Info) -> DataLoader[tuple[str, int], list[Purchase]]:
    queries = info.context.deps.purchase_queries

    async def fetch(limit: int, customer_ids: list[str]) -> dict[str, list[Purchase]]:
        return await queries.latest(customer_ids, limit)

    return per_customer_and_arguments(info, "purchases", fetch, list)


async def customer_purchases(info: Info, customer_id: str, first: int | None) -> list[PurchaseType]:
    """`Customer.purchases`: newest first, one aggregate for the whole batch."""
    _ = info.context.principal
    found = await _latest(info).load((customer_id, page_size(first)))
    return [PurchaseType.from_domain(p) for p in found]


@strawberry.type
class PurchaseMutation:
    @strawberry.mutation(description="Record or update a purchase; idempotent per source order")
    async def record_purchase(
        self, info: Info, input: RecordPurchaseInput
    ) -> RecordPurchasePayload:
        await access.require_for_write(
            info.context, str(input.customer_id), Action.CREATE, Resource.INTERACTION
        )
        purchase, changed = await info.context.deps.purchases.record(
            info.context.principal, input.to_command()
        )
        return RecordPurchasePayload(purchase=PurchaseType.from_domain(purchase), changed=changed)
