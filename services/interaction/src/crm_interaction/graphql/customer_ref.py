"""The `Customer` entity as the feature types return it (`Interaction.customer`,
`Ticket.customer`): a reference by key, typed lazily as the entity that `graphql.customer`
composes from every feature's fields, so that the features' types and the entity need not
import each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import strawberry


@dataclass(frozen=True, slots=True)
class CustomerKey:
    """A customer by its key; the entity's fields read nothing else of it."""

    id: strawberry.ID


if TYPE_CHECKING:
    Customer = CustomerKey

CustomerEntity = Annotated["Customer", strawberry.lazy("crm_interaction.graphql.customer")]


def customer_ref(customer_id: str) -> CustomerEntity:
    """The customer with this id (resolved by the customer subgraph)."""
    return CustomerKey(strawberry.ID(customer_id))
