"""Interaction's customer projection use cases: the kit's (`crm_kit.customer_projection`,
run by the handlers of customer events inside the consumer's transaction), and the changes
of the customer record noted on its timeline."""

from __future__ import annotations

from collections.abc import Sequence

from crm_interaction.customers.model import CustomerView
from crm_interaction.customers.store import CustomerRepository
from crm_interaction.timeline.model import TimelineEntry
from crm_interaction.timeline.store import TimelineRepository
from crm_kit.customer_projection import service as projection
from crm_kit.customer_projection.service import CustomerRecords
from crm_kit.mongo import Session

__all__ = ["CustomerRecords", "CustomerService"]


class CustomerService(projection.CustomerService[CustomerView]):
    """Archive, merge (everything of the interaction features re-keyed to the survivor),
    unmerge, erase (personal content removed; ids, times, statuses and amounts stay for
    statistics) — and the timeline's notes of them."""

    def __init__(
        self,
        customers: CustomerRepository,
        timeline: TimelineRepository,
        records: Sequence[CustomerRecords],
    ) -> None:
        super().__init__(customers, records)
        self._timeline = timeline

    async def note(self, entry: TimelineEntry, session: Session) -> None:
        """A change of the customer record, as an entry on its timeline."""
        await self._timeline.put(entry, session)
