"""Read side of sales' customer projection: the kit's (who a customer is here, under which
customer a new opportunity is filed), refusing an id of no customer of ours as
BAD_USER_INPUT."""

from __future__ import annotations

from crm_kit.customer_projection import queries as projection
from crm_kit.customer_projection.queries import CUSTOMER_WAIT_SECONDS
from crm_kit.errors import BadUserInput
from crm_sales.customers.model import CustomerView
from crm_sales.customers.store import CustomerRepository


def unknown_customer(customer_id: str, field: str = "customerId") -> BadUserInput:
    return BadUserInput.single(
        field, "UNKNOWN_CUSTOMER", f"no customer {customer_id} (unknown, or erased)"
    )


class CustomerQueries(projection.CustomerQueries[CustomerView]):
    def __init__(
        self, customers: CustomerRepository, wait_seconds: float = CUSTOMER_WAIT_SECONDS
    ) -> None:
        # A customer known only from a lifecycle event (a version-0 stub) is waited for: an
        # opportunity takes its owner, team and stage from the snapshot.
        super().__init__(customers, wait_seconds, snapshot_required=True)

    async def filed_under(self, customer_id: str, field: str = "customerId") -> CustomerView:
        """The customer new records of this id are filed under: the survivor of a merge.
        BAD_USER_INPUT (`field` UNKNOWN_CUSTOMER) for an erased customer or one the
        projection has not seen after a short wait: an id of no customer of ours."""
        filing = await self.filing(customer_id)
        if filing.view is None:
            raise unknown_customer(customer_id, field)
        return filing.view
