"""The projection of a customer, kept from customer events. Pure data and rules, no I/O.

Sales keeps of a customer only what it decides with: who owns it and in which team (a new
opportunity's default team, who may read the customer), its lifecycle stage (a lead becomes an
opportunity) and whether it was merged into another or erased. No name, no contact details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ACTIVE = "ACTIVE"
ARCHIVED = "ARCHIVED"
MERGED = "MERGED"
ERASED = "ERASED"


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: str
    owner_id: str | None
    team: str | None
    stage: str
    version: int
    updated_at: datetime
    lifecycle: str = ACTIVE  # ACTIVE, ARCHIVED, MERGED or ERASED (from lifecycle events)
    merged_into: str | None = None

    def is_newer_than(self, stored_version: int | None) -> bool:
        return stored_version is None or self.version > stored_version


@dataclass(frozen=True, slots=True)
class CustomerMove:
    """A merge as the records filed under customers see it: the `merged` customers' records go
    to the `survivor` under the merge's id, and come back when that merge is undone."""

    merge_id: str
    survivor: str
    merged: tuple[str, ...]
