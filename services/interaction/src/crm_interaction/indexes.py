"""Every index this service queries with (boot and the migration tool create them)."""

from __future__ import annotations

from crm_interaction.repository import INDEXES as INTERACTION_INDEXES
from crm_interaction.scheduler import JOB_INDEXES
from crm_interaction.stores import STORE_INDEXES
from crm_interaction.ticket_store import TICKET_INDEXES
from crm_kit.mongo import IndexSpec

ALL_INDEXES: list[IndexSpec] = [
    *INTERACTION_INDEXES,
    *TICKET_INDEXES,
    *STORE_INDEXES,
    JOB_INDEXES,
]
