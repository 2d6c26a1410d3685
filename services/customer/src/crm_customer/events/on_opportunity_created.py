"""Consumed `opportunity.created.v1`: a LEAD customer becomes a PROSPECT once a deal is opened
for it (the system's change, as for `opportunity.won.v1`); any later stage is left alone."""

from __future__ import annotations

from crm_customer.customers.service import CustomerService
from crm_customer.customers.values import LifecycleStage
from crm_customer.events.opportunity_event import advancing
from crm_kit.consumer import EventHandler

TYPE = "opportunity.created.v1"


def handler(customers: CustomerService) -> EventHandler:
    return advancing(customers, LifecycleStage.PROSPECT)
