"""The projection of a customer, kept from customer events. Pure data and rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ACTIVE = "ACTIVE"
ARCHIVED = "ARCHIVED"
MERGED = "MERGED"
ERASED = "ERASED"
ERASED_TEXT = "[erased]"
"""What replaces an erased customer's free text where a value must remain (titles, subjects)."""


@dataclass(frozen=True, slots=True)
class CustomerView:
    """The projection of a customer kept from customer events."""

    id: str
    display_name: str
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
