"""A scheduled job as the scheduler hands it to a handler. Pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str  # selects the handler, e.g. `ticket.sla`
    ref_id: str  # the item it belongs to (cancelled with it)
    due_at: datetime
    data: dict[str, Any]
    attempts: int
