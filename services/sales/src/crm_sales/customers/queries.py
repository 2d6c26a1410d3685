"""Read side of the customer projection: who a customer is here (owner, team, lifecycle) and
under which customer a new opportunity is filed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from crm_kit.errors import BadUserInput
from crm_sales.customers.model import ERASED, MERGED, CustomerView
from crm_sales.customers.store import CustomerRepository

# The projection lags customer creation by milliseconds: wait this long before refusing.
CUSTOMER_WAIT_SECONDS = 2.0


def unknown_customer(customer_id: str, field: str = "customerId") -> BadUserInput:
    return BadUserInput.single(
        field, "UNKNOWN_CUSTOMER", f"no customer {customer_id} (unknown, or erased)"
    )


class CustomerQueries:
    def __init__(
        self, customers: CustomerRepository, wait_seconds: float = CUSTOMER_WAIT_SECONDS
    ) -> None:
        self._customers = customers
        self._wait_seconds = wait_seconds

    async def get_many(self, customer_ids: Sequence[str]) -> dict[str, CustomerView]:
        return await self._customers.get_many(customer_ids)

    async def filed_under(self, customer_id: str, field: str = "customerId") -> CustomerView:
        """The customer new records of this id are filed under: the survivor of a merge.
        BAD_USER_INPUT (`field` UNKNOWN_CUSTOMER) for an erased customer or one the
        projection has not seen after a short wait: an id of no customer of ours."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        delay, seen = 0.05, {customer_id}
        current = customer_id
        while True:
            view = await self._customers.get(current)
            if view is not None and view.lifecycle == MERGED and view.merged_into:
                if view.merged_into in seen:  # pragma: no cover - a merge cycle: a broken feed
                    raise unknown_customer(customer_id, field)
                seen.add(view.merged_into)
                current = view.merged_into
                continue
            if view is not None and view.version > 0:
                if view.lifecycle == ERASED:
                    raise unknown_customer(customer_id, field)
                return view
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise unknown_customer(customer_id, field)
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.4)
