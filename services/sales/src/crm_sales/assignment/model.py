"""A new owner and team for an opportunity (pure): the record after the change and the field
history that records it. Who may make it is `access`; the write is `service`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_sales.history.model import FieldChange, TrackedField
from crm_sales.opportunities import model as opportunities
from crm_sales.opportunities.values import Opportunity


@dataclass(frozen=True, slots=True)
class Reassigned:
    """The opportunity after an assignment; `field_changes` empty: nothing changed (the same
    owner and team), and the record is the one given, at its version."""

    before: Opportunity
    opportunity: Opportunity
    field_changes: tuple[FieldChange, ...]

    @property
    def changed(self) -> bool:
        return bool(self.field_changes)


def reassign(
    current: Opportunity, *, owner_id: str, team: str | None, actor: str, now: datetime
) -> Reassigned:
    """`current` with `owner_id` as its owner and `team` as its team (None keeps the team);
    BAD_USER_INPUT for a blank or too long owner id or team."""
    assigned = opportunities.assign(current, owner_id=owner_id, team=team, now=now)
    pairs = (
        (TrackedField.OWNER, current.owner_id, assigned.owner_id),
        (TrackedField.TEAM, current.team, assigned.team),
    )
    changes = tuple(
        FieldChange(current.id, field, old, new, now, actor)
        for field, old, new in pairs
        if old != new
    )
    return Reassigned(current, assigned if changes else current, changes)
