"""A customer as a service keeps it from the customer events, and a merge as the records filed
under customers see it. Pure data and rules, no I/O.

Every projection holds at least who owns the customer and in which team (who may see its
items), its lifecycle stage, the version of the snapshot it was taken from (a newer one
replaces it, an older one delivered late changes nothing) and whether the customer was
archived, merged into another or erased. A service that keeps more (interaction keeps the
name) subclasses `CustomerView` with keyword-only fields of its own.
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
    """The projection of one customer, as the customer events describe it."""

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
