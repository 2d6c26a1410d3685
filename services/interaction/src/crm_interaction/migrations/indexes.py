"""Every index this service queries with, gathered from the features' stores (boot and the
migration tool create them)."""

from __future__ import annotations

from crm_interaction.customers import store as customers
from crm_interaction.interactions import store as interactions
from crm_interaction.purchases import store as purchases
from crm_interaction.scheduling import store as scheduling
from crm_interaction.tasks import store as tasks
from crm_interaction.tickets import store as tickets
from crm_interaction.timeline import store as timeline
from crm_kit.mongo import IndexSpec

ALL_INDEXES: list[IndexSpec] = [
    *interactions.INDEXES,
    *customers.INDEXES,
    *tickets.INDEXES,
    *tasks.INDEXES,
    *purchases.INDEXES,
    *timeline.INDEXES,
    *scheduling.INDEXES,
]
