"""Merging two opportunities (pure): which merges are allowed, what the survivor becomes and
how the merged deal is closed.

Both deals must be open and of the same customer. The survivor keeps its own fields except
those the caller picks from the merged deal; contact persons and line items are united
without duplicates (the survivor's first; a contact is the same person by name, case and
width aside; a line is the same by product). The merged deal is closed for good as MERGED
in the stage it was in, pointing at the survivor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from crm_kit.errors import FieldError
from crm_sales.duplicates.model import name_key
from crm_sales.history.model import (
    FieldChange,
    MoveKind,
    StageChange,
    Tracked,
    TrackedField,
    field_changes,
)
from crm_sales.opportunities.model import effective_probability
from crm_sales.opportunities.values import (
    Changes,
    MergedInto,
    Opportunity,
    OpportunityError,
    Status,
)
from crm_sales.pipelines.model import Pipeline
from crm_sales.validation import raise_if_any


class MergeField(StrEnum):
    """A field the survivor takes from the merged deal when the caller picks it."""

    NAME = "NAME"
    AMOUNT = "AMOUNT"
    EXPECTED_CLOSE_DATE = "EXPECTED_CLOSE_DATE"
    NEXT_STEP = "NEXT_STEP"
    SOURCE = "SOURCE"


class MergeError(OpportunityError):
    """A merge the rules refuse."""


def check(survivor: Opportunity, merged: Opportunity) -> None:
    """BAD_USER_INPUT naming each reason the two cannot be merged."""
    errors: list[FieldError] = []
    if survivor.id == merged.id:
        errors.append(FieldError("mergedId", "SAME_OPPORTUNITY", "a deal merges with another"))
    for field, deal in (("survivorId", survivor), ("mergedId", merged)):
        if not deal.is_open:
            errors.append(FieldError(field, "CLOSED", f"{deal.id} is {deal.status}, not open"))
    if survivor.customer_id != merged.customer_id:
        errors.append(
            FieldError("mergedId", "DIFFERENT_CUSTOMER", "the deals are of different customers")
        )
    raise_if_any(errors, MergeError, "These opportunities cannot be merged")


def _picked(merged: Opportunity, picks: frozenset[MergeField]) -> Changes:
    amount = merged.amount
    take_amount = MergeField.AMOUNT in picks and not merged.line_items
    return Changes(
        name=merged.name if MergeField.NAME in picks else None,
        amount=amount.text if take_amount and amount is not None else None,
        currency=merged.currency if take_amount and amount is not None else None,
        expected_close_date=merged.expected_close_date
        if MergeField.EXPECTED_CLOSE_DATE in picks
        else None,
        next_step=merged.next_step if MergeField.NEXT_STEP in picks else None,
        source=merged.source if MergeField.SOURCE in picks else None,
    )


def united_changes(
    survivor: Opportunity, merged: Opportunity, picks: frozenset[MergeField]
) -> Changes:
    """What the survivor changes: the picked fields, and the contacts and line items the
    merged deal adds (None where it adds nothing)."""
    changes = _picked(merged, picks)
    known = {name_key(c.name) for c in survivor.contacts}
    contacts = [c for c in merged.contacts if name_key(c.name) not in known]
    products = {item.product_id for item in survivor.line_items}
    lines = tuple(item for item in merged.line_items if item.product_id not in products)
    if lines and any(item.currency != survivor.currency for item in lines):
        raise MergeError.single(
            "mergedId", "CURRENCY_MISMATCH", "the merged deal's lines are in another currency"
        )
    every = (*survivor.contacts, *contacts)
    return replace(
        changes,
        contacts=tuple((c.name, str(c.role)) for c in every) if contacts else None,
        line_items=(*survivor.line_items, *lines) if lines else None,
    )


@dataclass(frozen=True, slots=True)
class Closed:
    """The merged deal closed, and its history."""

    opportunity: Opportunity
    stage_change: StageChange
    field_changes: tuple[FieldChange, ...]


def _tracked(opportunity: Opportunity, pipeline: Pipeline) -> Tracked:
    probability = effective_probability(opportunity, pipeline)
    return Tracked(opportunity.amount, probability, opportunity.expected_close_date)


def close_merged(
    merged: Opportunity, survivor_id: str, *, pipeline: Pipeline, actor: str, now: datetime
) -> Closed:
    """The merged deal closed as MERGED. Its probability falls to 0 (and an override goes), which
    is recorded like any probability change, so the deal as it stood before reads back from
    its history (`point_in_time`)."""
    closed = replace(
        merged,
        status=Status.MERGED,
        merged_into=MergedInto(survivor_id, now, actor),
        probability_override=None,
        updated_at=now,
        version=merged.version + 1,
    )
    change = StageChange(
        opportunity_id=merged.id,
        pipeline_id=merged.pipeline_id,
        pipeline_version=merged.pipeline_version,
        kind=MoveKind.MERGED,
        from_stage_id=merged.stage_id,
        to_stage_id=merged.stage_id,
        at=now,
        actor_id=actor,
        reason=None,
    )
    tracked = field_changes(
        merged.id, _tracked(merged, pipeline), _tracked(closed, pipeline), at=now, actor_id=actor
    )
    into = FieldChange(merged.id, TrackedField.MERGED_INTO, None, survivor_id, now, actor)
    return Closed(closed, change, (*tracked, into))


def merged_from(survivor: Opportunity, merged_id: str, *, actor: str, now: datetime) -> FieldChange:
    return FieldChange(survivor.id, TrackedField.MERGED_FROM, None, merged_id, now, actor)
