"""GraphQL of purchases: the purchase types, `recordPurchase`, and `Customer.purchases` (a
connection, batched per `_entities` call)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer, per_customer_and_arguments
from crm_interaction.purchases import model as purchases
from crm_interaction.purchases.model import MAX_ITEMS, TEXT_MAX_CHARS, Purchase, PurchaseStatus
from crm_kit.graphql import Money, PageInfo, described_enum, page_info
from crm_kit.paging import Keyset, decode_cursor, encode_cursor, page_size
from crm_kit.policy import Action, Resource

_COUNTED = " Counted in spend, RFM and churn risk."
described_enum(
    PurchaseStatus,
    "Order state",
    {
        PurchaseStatus.PENDING: "Ordered, not paid yet.",
        PurchaseStatus.PAID: "Paid." + _COUNTED,
        PurchaseStatus.SHIPPED: "Shipped." + _COUNTED,
        PurchaseStatus.COMPLETED: "Completed." + _COUNTED,
        PurchaseStatus.CANCELLED: "Cancelled.",
        PurchaseStatus.REFUNDED: "Refunded.",
    },
)
_TEXT = f"1–{TEXT_MAX_CHARS} characters"


@strawberry.type(name="PurchaseItem", description="One line of an order.")
class PurchaseItemType:
    sku: str = strawberry.field(description="The product's SKU.")
    name: str = strawberry.field(description="The product's name (may be empty).")
    quantity: int = strawberry.field(description="How many (at least 1).")
    unit_price: Money = strawberry.field(description="The price of one.")


@strawberry.type(name="Purchase", description="An order / purchase by the customer")
class PurchaseType:
    id: strawberry.ID = strawberry.field(
        description="Derived from source and externalId: one source order, one purchase."
    )
    customer_id: strawberry.ID = strawberry.field(description="The customer's id.")
    order_number: str = strawberry.field(description="The order number people see.")
    items: list[PurchaseItemType] = strawberry.field(
        description=f"The order lines (at most {MAX_ITEMS}; may be empty)."
    )
    amount: Money = strawberry.field(description="The order's total.")
    status: purchases.PurchaseStatus = strawberry.field(description="The order's state.")
    purchased_at: datetime = strawberry.field(description="When it was ordered (UTC).")
    source: str = strawberry.field(description="The system the order comes from (e.g. erp).")
    external_id: strawberry.ID = strawberry.field(description="The order's id in that system.")
    recorded_at: datetime = strawberry.field(description="When it was first recorded here.")
    version: int = strawberry.field(
        description="1 when recorded, +1 each time the source's copy changed."
    )

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
            external_id=strawberry.ID(p.external_id),
            recorded_at=p.recorded_at,
            version=p.version,
        )


@strawberry.type(description="A purchase and its cursor.")
class PurchaseEdge:
    cursor: str = strawberry.field(description="Its position in the list, for `after`.")
    node: PurchaseType = strawberry.field(description="The purchase.")


@strawberry.type(description="A page of a customer's purchases, newest purchasedAt first")
class PurchaseConnection:
    edges: list[PurchaseEdge] = strawberry.field(description="This page's purchases.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")
    total_count: int = strawberry.field(
        description="All the customer's purchases, not only this page."
    )


@strawberry.type(description="What recordPurchase did.")
class RecordPurchasePayload:
    purchase: PurchaseType = strawberry.field(description="The purchase as stored now.")
    changed: bool = strawberry.field(description="false when this was a replay of the same data")


@strawberry.input(description="One line of an order.")
class PurchaseItemInput:
    sku: str = strawberry.field(description=f"The product's SKU: {_TEXT}.")
    name: str = strawberry.field(
        default="", description=f"The product's name, at most {TEXT_MAX_CHARS} characters."
    )
    quantity: int = strawberry.field(default=1, description="How many: at least 1.")
    unit_price: str = strawberry.field(
        description="Decimal string in the order's currency (the rules of `amount`)"
    )


@strawberry.input(
    description="An order from another system: recorded, or updated when the source's copy "
    "changed, by (source, externalId)."
)
class RecordPurchaseInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer; a merged customer's id files the order under the customer "
        "it was merged into."
    )
    order_number: str = strawberry.field(description=f"The order number people see: {_TEXT}.")
    amount: str = strawberry.field(
        description='Decimal string, e.g. "1299.00": 0 up to below 10^15, with at most the '
        "currency's decimal places (CNY 2, JPY 0, KWD 3)"
    )
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY")
    purchased_at: datetime = strawberry.field(description="When it was ordered.")
    source: str = strawberry.field(
        description=f"The system the order comes from, e.g. erp ({_TEXT})"
    )
    external_id: strawberry.ID = strawberry.field(
        description=f"The order's id in that system ({_TEXT})"
    )
    status: purchases.PurchaseStatus = strawberry.field(
        default=purchases.PurchaseStatus.PAID, description="The order's state."
    )
    items: list[PurchaseItemInput] | None = strawberry.field(
        default=None, description=f"The order lines, at most {MAX_ITEMS}."
    )

    def to_command(self) -> purchases.RecordPurchase:
        return purchases.RecordPurchase(
            customer_id=str(self.customer_id),
            order_number=self.order_number,
            amount=self.amount,
            currency=self.currency,
            purchased_at=self.purchased_at,
            source=self.source,
            external_id=str(self.external_id),
            status=self.status,
            items=tuple((i.sku, i.name, i.quantity, i.unit_price) for i in self.items or ()),
        )


type PurchaseArgs = tuple[int, Keyset | None]


def _pages(info: Info) -> DataLoader[tuple[str, PurchaseArgs], tuple[list[Purchase], bool]]:
    queries = info.context.deps.purchase_queries

    async def fetch(
        arguments: PurchaseArgs, customer_ids: list[str]
    ) -> dict[str, tuple[list[Purchase], bool]]:
        first, after = arguments
        return await queries.pages(customer_ids, first, after)

    return per_customer_and_arguments(info, "purchasePages", fetch, lambda: ([], False))


def _counts(info: Info) -> DataLoader[str, int]:
    return per_customer(info, "purchaseCounts", info.context.deps.purchase_queries.counts, int)


async def customer_purchases(
    info: Info, customer_id: str, first: int | None, after: str | None
) -> PurchaseConnection:
    """`Customer.purchases`: newest first; the page and the count each come from one aggregate
    for the whole `_entities` batch."""
    _ = info.context.principal
    size = page_size(first)
    position = decode_cursor(after) if after else None
    items, has_next = await _pages(info).load((customer_id, (size, position)))
    edges = [
        PurchaseEdge(
            cursor=encode_cursor(Keyset(p.purchased_at, p.id)), node=PurchaseType.from_domain(p)
        )
        for p in items
    ]
    return PurchaseConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next, position is not None),
        total_count=await _counts(info).load(customer_id),
    )


@strawberry.type
class PurchaseMutation:
    @strawberry.mutation(
        description="Record or update a purchase; idempotent per source order: the same content "
        "again changes nothing (`changed: false`). Roles ADMIN, MANAGER, SALES, within their "
        "interaction scope of the customer. Errors: BAD_USER_INPUT (`currency` "
        "INVALID_CURRENCY; `orderNumber`, `source`, `externalId` REQUIRED, TOO_LONG; `amount` "
        "INVALID, NEGATIVE, OUT_OF_RANGE, PRECISION; `items` TOO_MANY; `items[i].unitPrice` as "
        "`amount`; `items[i].quantity` OUT_OF_RANGE; `items[i].sku` INVALID), NOT_FOUND (the "
        "customer is unknown or erased), FORBIDDEN."
    )
    async def record_purchase(
        self,
        info: Info,
        input: Annotated[RecordPurchaseInput, strawberry.argument(description="The order.")],
    ) -> RecordPurchasePayload:
        await access.require_for_write(
            info.context, str(input.customer_id), Action.CREATE, Resource.INTERACTION
        )
        purchase, changed = await info.context.deps.purchases.record(
            info.context.principal, input.to_command()
        )
        return RecordPurchasePayload(purchase=PurchaseType.from_domain(purchase), changed=changed)
