"""Timeline entries of other services' items, written by the handlers of their events inside
the consumer's transaction (every write takes its session).

A sales opportunity won or lost (`opportunity.won.v1` / `opportunity.lost.v1`) is one entry per
opportunity, its latest outcome: a redelivery or a repeat of the same version changes nothing,
a reopened deal won again updates its entry, a won deal reopened and lost has its entry
replaced by the lost one. The entry is filed under the customer the projection names (the
survivor of a merge; under the given id while the projection has not seen it) and, as every
timeline entry, moves with the customer's merges and loses its text on erasure; nothing is
written for an erased customer.

A deal merged into another (`opportunity.merged.v1`) is one deal from then on: its closing
entry becomes the survivor's when it closed later than the survivor's own (or the survivor has
none), and goes otherwise (`model.folded_closing`). The merge is remembered, so that a repeat
of it changes nothing and a closing of the merged deal arriving late is folded the same way.
"""

from __future__ import annotations

from crm_interaction.customers.model import ERASED, MERGED
from crm_interaction.customers.store import CustomerRepository
from crm_interaction.timeline.model import (
    OpportunityClosing,
    OpportunityMerge,
    TimelineEntry,
    entry_id,
    folded_closing,
    of_opportunity_closing,
)
from crm_interaction.timeline.store import OpportunityMergeRepository, TimelineRepository
from crm_kit.mongo import Session

MAX_MERGE_HOPS = 10  # a longer chain of merges is a broken feed


class TimelineService:
    def __init__(
        self,
        customers: CustomerRepository,
        timeline: TimelineRepository,
        merges: OpportunityMergeRepository,
    ) -> None:
        self._customers = customers
        self._timeline = timeline
        self._merges = merges

    async def record_closing(self, closing: OpportunityClosing, session: Session) -> bool:
        """The opportunity's closing on its customer's timeline; True when written (False: an
        erased customer, or an entry of the same or a newer version is there)."""
        customer_id = await self._filed_under(closing.customer_id, session)
        if customer_id is None:
            return False
        entry = of_opportunity_closing(closing, customer_id)
        survivor = await self._survivor_of(closing.opportunity_id, session)
        if survivor is not None:  # merged away before this closing arrived: fold it in
            return await self._fold(entry, survivor, session)
        replaced = entry_id(closing.other_kind, closing.opportunity_id)
        return await self._timeline.put_newer(entry, replaced, session)

    async def record_merge(self, merge: OpportunityMerge, session: Session) -> bool:
        """The merged deal's closing entry folded into the survivor's; False for a merge
        already recorded (nothing changes)."""
        if not await self._merges.record(merge, session):
            return False
        # the survivor may itself have been merged away since (its event arrived first)
        survivor = await self._survivor_of(merge.survivor_id, session) or merge
        for entry in await self._timeline.closings_of(merge.merged_id, session):
            await self._fold(entry, survivor, session)
        return True

    async def _fold(self, entry: TimelineEntry, into: OpportunityMerge, session: Session) -> bool:
        """Fold a merged deal's closing `entry` into the survivor's; True when it stays (as the
        survivor's entry)."""
        rivals = await self._timeline.closings_of(into.survivor_id, session)
        rival = max(rivals, key=lambda r: r.at, default=None)
        kept = folded_closing(entry, rival, into.survivor_id, into.survivor_version)
        await self._timeline.remove(entry.id, session)
        if kept is None:
            return False
        for replaced in rivals:
            await self._timeline.remove(replaced.id, session)
        await self._timeline.put(kept, session)
        return True

    async def _survivor_of(self, opportunity_id: str, session: Session) -> OpportunityMerge | None:
        """The last merge of the chain `opportunity_id` was merged along: its survivor is the
        deal that stays, at the version that merge left it (None: not merged away)."""
        last: OpportunityMerge | None = None
        current = opportunity_id
        for _ in range(MAX_MERGE_HOPS):
            merge = await self._merges.merged_into(current, session)
            if merge is None:
                return last
            last, current = merge, merge.survivor_id
        return last

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
