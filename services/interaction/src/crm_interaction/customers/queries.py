"""Read side of interaction's customer projection: the kit's (who a customer is here, under
which customer new items are filed), NOT_FOUND for a customer items cannot be filed under,
and the customers an access scope reaches."""

from __future__ import annotations

from crm_interaction.customers.model import CustomerView
from crm_interaction.customers.store import CustomerRepository
from crm_kit.customer_projection import queries as projection
from crm_kit.customer_projection.queries import CUSTOMER_WAIT_SECONDS
from crm_kit.errors import NotFound


class CustomerQueries(projection.CustomerQueries[CustomerView]):
    def __init__(
        self, customers: CustomerRepository, wait_seconds: float = CUSTOMER_WAIT_SECONDS
    ) -> None:
        # a customer known only from a lifecycle event is one items may be filed under
        super().__init__(customers, wait_seconds, snapshot_required=False)
        self._repository = customers

    async def ids_in_scope(self, owner_id: str, team: str | None, limit: int) -> list[str]:
        """Customers owned by `owner_id` (or in `team`): an access scope as ids."""
        return await self._repository.ids_in_scope(owner_id, team, limit)

    async def filed_under(self, customer_id: str) -> str:
        """The id new items of this customer are filed under: the survivor of a merge, or
        NOT_FOUND (naming the last customer looked at) for an erased customer or one the
        projection has not seen (after a short wait)."""
        filing = await self.filing(customer_id)
        if filing.view is None:
            raise NotFound("Customer", filing.last_id)
        return filing.view.id
