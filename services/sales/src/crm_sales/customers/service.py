"""The customer projection's use cases, run by the handlers of customer events inside the
consumer's transaction (every write takes its session): apply a newer snapshot, and the
customer lifecycle here — archive, merge (re-key opportunities to the survivor) and its
undoing (move back what the merge moved), erase (remove personal data from opportunities;
keep ids, stages, amounts and times for reports)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from crm_kit.mongo import Session
from crm_sales.customers.model import ACTIVE, ARCHIVED, ERASED, MERGED, CustomerMove, CustomerView
from crm_sales.customers.store import CustomerRepository


class CustomerRecords(Protocol):
    """A feature's records filed under customers (its repository)."""

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        """File everything of the merged customers under the survivor, remembering what moved."""

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        """Undo `move_customer` for that merge: exactly what it moved goes back."""

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        """Remove the customer's personal data from these records."""


class CustomerService:
    def __init__(self, customers: CustomerRepository, records: Sequence[CustomerRecords]) -> None:
        self._customers = customers
        self._records = tuple(records)

    async def apply(self, view: CustomerView, session: Session) -> bool:
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
        view: CustomerView | None,
        archived: bool,
        at: datetime,
        session: Session,
    ) -> None:
        """A merged-away customer is its own again (an undone merge)."""
        if view is not None:
            await self._customers.apply(view, session)
        lifecycle = ARCHIVED if archived else ACTIVE
        await self._customers.set_lifecycle(customer_id, lifecycle, None, at, session)

    async def erase(self, customer_id: str, at: datetime, session: Session) -> None:
        await self._customers.set_lifecycle(customer_id, ERASED, None, at, session)
        for records in self._records:
            await records.erase_customer(customer_id, session)
