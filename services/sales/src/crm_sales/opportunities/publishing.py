"""What every opportunity write does besides storing the record: the conversion it is shown
and sorted at, its history, its events and its audit entry. Used by `service` inside the
write's transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from crm_kit import audit
from crm_kit.audit import Change
from crm_kit.mongo import Document
from crm_kit.uow import Transaction
from crm_sales.events import (
    opportunity_assigned,
    opportunity_created,
    opportunity_lost,
    opportunity_stage_changed,
    opportunity_updated,
    opportunity_won,
    snapshots,
)
from crm_sales.history.model import FieldChange, StageChange
from crm_sales.money.model import Conversion, RateTable
from crm_sales.opportunities.model import base_amount, effective_probability
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.opportunities.store import opportunity_to_doc
from crm_sales.opportunities.values import Opportunity, Status
from crm_sales.pipelines.model import Pipeline

# The fields `opportunity.updated.v1` names as changed, by their API names.
_FIELDS: dict[str, Callable[[Opportunity], Any]] = {
    "name": lambda o: o.name,
    "currency": lambda o: o.currency,
    "amount": lambda o: o.amount,
    "expectedCloseDate": lambda o: o.expected_close_date,
    "nextStep": lambda o: o.next_step,
    "source": lambda o: o.source,
    "competitors": lambda o: o.competitors,
    "contacts": lambda o: o.contacts,
    "lineItems": lambda o: o.line_items,
    "tags": lambda o: o.tags,
    "customFields": lambda o: dict(o.custom_fields),
    "probability": lambda o: o.probability_override.value if o.probability_override else None,
}


def changed_fields(before: Opportunity, after: Opportunity) -> list[str]:
    return [name for name, value in _FIELDS.items() if value(before) != value(after)]


@dataclass(frozen=True, slots=True)
class Written:
    """An opportunity as one write leaves it: its document, the conversion it is shown at
    (today's rate while open, its closing day's once closed) and what it was booked at."""

    record: OpportunityRecord
    doc: Document
    conversion: Conversion | None
    probability: int

    @classmethod
    def of(cls, o: Opportunity, pipeline: Pipeline, rates: RateTable, today: date) -> Written:
        conversion = base_amount(o, rates, today)
        booked = conversion if not o.is_open else None
        key = conversion.amount.minor if conversion is not None else None
        return cls(
            OpportunityRecord(o, booked),
            opportunity_to_doc(o, key, booked),
            conversion,
            effective_probability(o, pipeline),
        )

    @property
    def opportunity(self) -> Opportunity:
        return self.record.opportunity

    def snapshot(self) -> dict[str, Any]:
        return snapshots.opportunity(self.opportunity, self.probability, self.conversion)

    def booked_doc(self) -> Document | None:
        """The conversion a closed deal was booked at, as history keeps it."""
        return snapshots.conversion(self.record.booked)


def emit_created(tx: Transaction, written: Written, actor: str) -> None:
    o, snapshot = written.opportunity, written.snapshot()
    tx.emit(opportunity_created.TYPE, o.customer_id, opportunity_created.payload(snapshot, actor))
    emit_closing(tx, written, snapshot)


def emit_updated(tx: Transaction, written: Written, changed: list[str], actor: str) -> None:
    o = written.opportunity
    payload = opportunity_updated.payload(written.snapshot(), changed, actor)
    tx.emit(opportunity_updated.TYPE, o.customer_id, payload)


def emit_assigned(
    tx: Transaction,
    written: Written,
    before: Opportunity,
    actor: str,
    *,
    batch: Mapping[str, Any] | None = None,
    assigned_by: Mapping[str, Any] | None = None,
) -> None:
    """`opportunity.assigned.v1`; `batch` names the bulk call it was one of, `assigned_by` the
    reason (and rule) of an owner chosen at creation (see the event module)."""
    o = written.opportunity
    payload = opportunity_assigned.payload(
        written.snapshot(),
        before.owner_id,
        before.team,
        actor,
        batch=batch,
        assigned_by=assigned_by,
    )
    tx.emit(opportunity_assigned.TYPE, o.customer_id, payload)


def emit_moved(tx: Transaction, written: Written, change: StageChange) -> None:
    o, snapshot = written.opportunity, written.snapshot()
    payload = opportunity_stage_changed.payload(snapshot, change)
    tx.emit(opportunity_stage_changed.TYPE, o.customer_id, payload)
    emit_closing(tx, written, snapshot)


def emit_closing(tx: Transaction, written: Written, snapshot: dict[str, Any]) -> None:
    """`opportunity.won.v1` / `opportunity.lost.v1` for a deal that has just closed."""
    o, closing = written.opportunity, written.opportunity.closing
    if closing is None or o.status is Status.OPEN:
        return
    event = opportunity_won if o.status is Status.WON else opportunity_lost
    tx.emit(event.TYPE, o.customer_id, event.payload(snapshot, closing, written.booked_doc()))


def record_audit(
    tx: Transaction,
    action: str,
    written: Written,
    stage_change: StageChange | None = None,
    field_changes: Sequence[FieldChange] = (),
) -> None:
    """The write's audit entry: the stage move and the tracked values before and after."""
    changes = [Change(str(c.field), c.old, c.new) for c in field_changes]
    if stage_change is not None:
        changes.insert(0, Change("stageId", stage_change.from_stage_id, stage_change.to_stage_id))
    o = written.opportunity
    audit.record(
        tx,
        action,
        "Opportunity",
        o.id,
        changes=changes,
        details={"customerId": o.customer_id, "version": o.version},
    )
