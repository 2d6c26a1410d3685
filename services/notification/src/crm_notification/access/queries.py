"""The read side of the customer owner projection."""

from __future__ import annotations

from crm_notification.access.model import CustomerOwner
from crm_notification.access.store import CustomerAccessRepository


class CustomerAccessQueries:
    def __init__(self, owners: CustomerAccessRepository) -> None:
        self._owners = owners

    async def owners(self, customer_ids: list[str]) -> list[CustomerOwner | None]:
        """The owner of each customer in `customer_ids`, in order (None: never assigned)."""
        found = await self._owners.owners(customer_ids)
        return [found.get(i) for i in customer_ids]
