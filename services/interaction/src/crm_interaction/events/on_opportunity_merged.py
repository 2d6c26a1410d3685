"""Consumed `opportunity.merged.v1`: the merged deal and its survivor are one deal on the
customer's timeline from then on. The merged deal's OPPORTUNITY_WON / OPPORTUNITY_LOST entry
(from a closing before it was reopened) becomes the survivor's when it closed later than the
survivor's own, and goes otherwise; a repeat of the merge changes nothing, and a closing of the
merged deal arriving after it is folded the same way (see `timeline.service`)."""

from __future__ import annotations

from crm_interaction.events.opportunity_event import merge
from crm_interaction.timeline.service import TimelineService
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "opportunity.merged.v1"


def handler(timeline: TimelineService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        await timeline.record_merge(merge(event), tx.session)

    return handle
