"""Read side of the customer projection: who a customer is here (owner, team, lifecycle), the
customers an access scope reaches, and under which customer new items are filed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from crm_interaction.customers.model import ERASED, MERGED, CustomerView
from crm_interaction.customers.store import CustomerRepository
from crm_kit.errors import NotFound

# The projection lags customer creation by milliseconds: wait this long before NOT_FOUND.
CUSTOMER_WAIT_SECONDS = 2.0


class CustomerQueries:
    def __init__(
        self, customers: CustomerRepository, wait_seconds: float = CUSTOMER_WAIT_SECONDS
    ) -> None:
        self._customers = customers
        self._wait_seconds = wait_seconds

    async def get_many(self, customer_ids: Sequence[str]) -> dict[str, CustomerView]:
        return await self._customers.get_many(customer_ids)

    async def ids_in_scope(self, owner_id: str, team: str | None, limit: int) -> list[str]:
        """Customers owned by `owner_id` (or in `team`): an access scope as ids."""
        return await self._customers.ids_in_scope(owner_id, team, limit)

    async def filed_under(self, customer_id: str) -> str:
        """The id new items of this customer are filed under: the survivor of a merge, or
        NOT_FOUND for an erased customer or one the projection has not seen (after a short
        wait)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        delay = 0.05
        seen: set[str] = set()
        while True:
            view = await self._customers.get(customer_id)
            if view is not None and view.lifecycle == MERGED and view.merged_into:
                if view.merged_into in seen:  # pragma: no cover - a merge cycle is a broken feed
                    raise NotFound("Customer", customer_id)
                seen.add(customer_id)
                customer_id = view.merged_into
                continue
            if view is not None:
                if view.lifecycle == ERASED:
                    raise NotFound("Customer", customer_id)
                return customer_id
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise NotFound("Customer", customer_id)
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.4)
