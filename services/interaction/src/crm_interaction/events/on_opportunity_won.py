"""Consumed `opportunity.won.v1`: the won deal appears on its customer's timeline
(OPPORTUNITY_WON: name, amount and currency, owner), once per opportunity — a redelivery or a
repeat changes nothing, a reopened deal won again updates the entry, and it replaces the
deal's OPPORTUNITY_LOST entry if it had one."""

from __future__ import annotations

from crm_interaction.events.opportunity_event import closing
from crm_interaction.timeline.service import TimelineService
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "opportunity.won.v1"


def handler(timeline: TimelineService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        await timeline.record_closing(closing(event, won=True), tx.session)

    return handle
