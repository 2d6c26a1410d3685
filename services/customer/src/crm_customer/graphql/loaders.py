"""Per-request DataLoaders: entity resolution is one query per batch, never per item."""

from __future__ import annotations

from crm_customer.domain import Customer
from crm_customer.graphql.context import Info
from crm_kit.errors import NotFound


def customer_loader(info: Info):  # type: ignore[no-untyped-def]
    customers = info.context.deps.customers

    async def load(ids: list[str]) -> list[Customer | BaseException]:
        found = await customers.get_many(ids)
        return [found.get(i) or NotFound("Customer", i) for i in ids]

    return info.context.loader("customer", load)
