"""The customer projection's use cases, run by the handlers of customer events inside the
consumer's transaction (every write takes its session): apply a newer snapshot, and the
customer lifecycle in the service — archive, merge (re-key the service's records to the
survivor) and its undoing (move back what the merge moved), erase (remove personal content
from the records; ids, times, statuses and amounts stay for statistics)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from crm_kit.customer_projection.model import (
    ACTIVE,
    ARCHIVED,
    ERASED,
    MERGED,
    CustomerMove,
    CustomerView,
)
from crm_kit.customer_projection.store import CustomerRepository
from crm_kit.mongo import Session


class CustomerRecords(Protocol):
    """A feature's records filed under customers (its repository)."""

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        """File everything of the merged customers under the survivor, remembering what moved."""

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        """Undo `move_customer` for that merge: exactly what it moved goes back."""

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        """Remove the customer's personal content from these records."""


class CustomerService[V: CustomerView]:
    def __init__(
        self, customers: CustomerRepository[V], records: Sequence[CustomerRecords]
    ) -> None:
        self._customers = customers
        self._records = tuple(records)

    async def apply(self, view: V, session: Session) -> bool:
        """Store a snapshot unless a same-or-newer version is stored; True when applied."""
        return await self._customers.apply(view, session)

    async def archive(self, customer_id: str, at: datetime, session: Session) -> None:
        await self._customers.set_lifecycle(customer_id, ARCHIVED, None, at, session)

    async def merge(self, move: CustomerMove, at: datetime, session: Session) -> None:
        """Everything filed under the merged customers moves to the survivor."""
        for records in self._records:
            await records.move_customer(move, session)
        for customer_id in move.merged:
            await self._customers.set_lifecycle(customer_id, MERGED, move.survivor, at, session)

    async def unmerge(self, move: CustomerMove, session: Session) -> None:
        """What the merge moved to the survivor goes back to the customers it came from."""
        for records in self._records:
            await records.move_back(move, session)

    async def revive(
        self,
        customer_id: str,
        view: V | None,
        archived: bool,
        at: datetime,
        session: Session,
    ) -> None:
        """A merged-away customer is its own again (an undone merge): its snapshot when the
        event carries one, and new records filed under it rather than under the survivor."""
        if view is not None:
            await self._customers.apply(view, session)
        lifecycle = ARCHIVED if archived else ACTIVE
        await self._customers.set_lifecycle(customer_id, lifecycle, None, at, session)

    async def erase(self, customer_id: str, at: datetime, session: Session) -> None:
        """Remove personal content; keep ids, times, statuses and amounts for statistics."""
        await self._customers.set_lifecycle(customer_id, ERASED, None, at, session)
        for records in self._records:
            await records.erase_customer(customer_id, session)
