"""The entities the features' types refer to — `Customer` and `StaffMember`, owned by the
customer subgraph, with fields this subgraph adds — as references by key, typed lazily as the
entities `graphql.customer` and `graphql.staff` compose, so that the features' types and the
entities need not import each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import strawberry


@dataclass(frozen=True, slots=True)
class EntityKey:
    """An entity by its key; the entity's fields read nothing else of it."""

    id: strawberry.ID


if TYPE_CHECKING:
    Customer = EntityKey
    StaffMember = EntityKey

CustomerEntity = Annotated["Customer", strawberry.lazy("crm_sales.graphql.customer")]
StaffEntity = Annotated["StaffMember", strawberry.lazy("crm_sales.graphql.staff")]


def customer_ref(customer_id: str) -> CustomerEntity:
    """The customer with this id (resolved by the customer subgraph)."""
    return EntityKey(strawberry.ID(customer_id))


def staff_ref(staff_id: str | None) -> StaffEntity | None:
    """The member with this staff id (resolved by the customer subgraph); null without one."""
    return EntityKey(strawberry.ID(staff_id)) if staff_id else None
