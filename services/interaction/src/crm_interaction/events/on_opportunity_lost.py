"""Consumed `opportunity.lost.v1`: the lost deal appears on its customer's timeline
(OPPORTUNITY_LOST), once per opportunity as for `opportunity.won.v1`; it replaces the deal's
OPPORTUNITY_WON entry if it had one (won, reopened, then lost)."""

from __future__ import annotations

from crm_interaction.events.opportunity_event import closing
from crm_interaction.timeline.service import TimelineService
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "opportunity.lost.v1"


def handler(timeline: TimelineService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        await timeline.record_closing(closing(event, won=False), tx.session)

    return handle
