"""Per-request DataLoaders: entity resolution is one query per batch, never per item."""

from __future__ import annotations

from crm_customer import access as policy
from crm_customer.customers.model import Customer
from crm_customer.graphql.context import Info
from crm_kit.errors import NotFound


def customer_loader(info: Info):  # type: ignore[no-untyped-def]
    """Customers the caller may read: one the caller may not read is a FORBIDDEN error at
    its path (null), never its data."""
    customers = info.context.deps.customers
    principal = info.context.principal

    def shown(id: str, found: Customer | None) -> Customer | BaseException:
        if found is None:
            return NotFound("Customer", id)
        if not policy.can(principal, found):
            return policy.forbidden(id)
        return found  # personal fields are masked by their GraphQL types

    async def load(ids: list[str]) -> list[Customer | BaseException]:
        found = await customers.get_many(ids)
        return [shown(i, found.get(i)) for i in ids]

    return info.context.loader("customer", load)
