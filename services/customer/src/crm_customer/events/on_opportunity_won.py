"""Consumed `opportunity.won.v1`: a LEAD or PROSPECT customer becomes ACTIVE (the system's
change, through the customer use case: a new version, its history and audit, and
`customer.updated.v1`); a customer already ACTIVE or beyond, or churned, is left alone."""

from __future__ import annotations

from crm_customer.customers.service import CustomerService
from crm_customer.customers.values import LifecycleStage
from crm_customer.events.opportunity_event import advancing
from crm_kit.consumer import EventHandler

TYPE = "opportunity.won.v1"


def handler(customers: CustomerService) -> EventHandler:
    return advancing(customers, LifecycleStage.ACTIVE)
