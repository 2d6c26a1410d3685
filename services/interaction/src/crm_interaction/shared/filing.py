"""What every feature's write use cases are handed (built once in app.py).

Each change runs in one transaction of the unit of work, at the clock's time; a new item is
filed under the customer the projection names (the survivor of a merge; NOT_FOUND once erased
or never seen), at most once per idempotency key, and its timeline entry is written in the
same transaction.
"""

from __future__ import annotations

from dataclasses import Field, dataclass, replace
from typing import Any, ClassVar, Protocol

from crm_interaction.customers.queries import CustomerQueries
from crm_interaction.shared.clock import Clock
from crm_interaction.timeline.store import TimelineRepository
from crm_kit.idempotency import IdempotencyGuards
from crm_kit.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Filing:
    uow: UnitOfWork
    clock: Clock
    guards: IdempotencyGuards
    customers: CustomerQueries
    timeline: TimelineRepository

    async def under_customer[T: FiledItem](self, item: T) -> T:
        """The item filed under the customer the projection names for its customer id."""
        customer_id = await self.customers.filed_under(item.customer_id)
        return item if customer_id == item.customer_id else replace(item, customer_id=customer_id)


class FiledItem(Protocol):
    """A new item (a dataclass) that belongs to a customer."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def customer_id(self) -> str: ...
