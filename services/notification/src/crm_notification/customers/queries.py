"""The read side of the customer owner projection."""

from __future__ import annotations

from crm_notification.customers.model import CustomerOwner
from crm_notification.customers.store import CustomerOwnerRepository


class CustomerOwnerQueries:
    def __init__(self, owners: CustomerOwnerRepository) -> None:
        self._owners = owners

    async def owners(self, customer_ids: list[str]) -> list[CustomerOwner | None]:
        """The owner of each customer in `customer_ids`, in order (None: never assigned)."""
        found = await self._owners.owners(customer_ids)
        return [found.get(i) for i in customer_ids]
