"""Sales' customer projection use cases: the kit's (`crm_kit.customer_projection.service`,
run by the handlers of customer events inside the consumer's transaction) over the
records filed under customers (opportunities, their stage history, quotes) — a merge re-keys
them to the survivor and its undoing moves them back; an erasure blanks the projected
customer's display name, removes the records' personal data and keeps ids, stages, amounts
and times for reports."""

from __future__ import annotations

from crm_kit.customer_projection import service as projection
from crm_kit.customer_projection.service import CustomerRecords
from crm_sales.customers.model import CustomerView

__all__ = ["CustomerRecords", "CustomerService"]


class CustomerService(projection.CustomerService[CustomerView]):
    """The kit's use cases as they are: sales adds nothing to them."""
