"""Timeline entries of other services' items, written by the handlers of their events inside
the consumer's transaction (every write takes its session).

A sales opportunity won or lost (`opportunity.won.v1` / `opportunity.lost.v1`) is one entry per
opportunity, its latest outcome: a redelivery or a repeat of the same version changes nothing,
a reopened deal won again updates its entry, a won deal reopened and lost has its entry
replaced by the lost one. The entry is filed under the customer the projection names (the
survivor of a merge; under the given id while the projection has not seen it) and, as every
timeline entry, moves with the customer's merges and loses its text on erasure; nothing is
written for an erased customer.
"""

from __future__ import annotations

from crm_interaction.customers.model import ERASED, MERGED
from crm_interaction.customers.store import CustomerRepository
from crm_interaction.timeline.model import OpportunityClosing, entry_id, of_opportunity_closing
from crm_interaction.timeline.store import TimelineRepository
from crm_kit.mongo import Session

MAX_MERGE_HOPS = 10  # a longer chain of merges is a broken feed


class TimelineService:
    def __init__(self, customers: CustomerRepository, timeline: TimelineRepository) -> None:
        self._customers = customers
        self._timeline = timeline

    async def record_closing(self, closing: OpportunityClosing, session: Session) -> bool:
        """The opportunity's closing on its customer's timeline; True when written (False: an
        erased customer, or an entry of the same or a newer version is there)."""
        customer_id = await self._filed_under(closing.customer_id, session)
        if customer_id is None:
            return False
        entry = of_opportunity_closing(closing, customer_id)
        replaced = entry_id(closing.other_kind, closing.opportunity_id)
        return await self._timeline.put_newer(entry, replaced, session)

    async def _filed_under(self, customer_id: str, session: Session) -> str | None:
        """The survivor the projection's merges lead to; None for an erased customer."""
        current = customer_id
        for _ in range(MAX_MERGE_HOPS):
            view = await self._customers.get(current, session)
            if view is None:
                return current
            if view.lifecycle == ERASED:
                return None
            if view.lifecycle != MERGED or not view.merged_into:
                return current
            current = view.merged_into
        return None
