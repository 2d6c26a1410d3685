"""Quotes of an opportunity. Pure data and rules, no I/O.

A quote copies its opportunity's priced line items when it is made (product code, names in
both languages, quantity, list and unit price, discount, line total): a later change of the
deal or the catalogue does not change a quote already made. It is numbered per calendar year
(UTC) — `Q-2026-000123`, the sequence from an atomic counter per year — and versioned: a
revision is a new quote with the same number and the next `revision`, made as a DRAFT from the
deal's current lines; the quote it supersedes keeps its status and is only marked
`superseded_by`, so what the customer received stays readable as it was.

Status: DRAFT → SENT → ACCEPTED or REJECTED. A SENT quote past its `valid_until` day reads as
EXPIRED (nothing is written when the day passes) and can then no longer be accepted or
rejected; a superseded one can neither. A quote is changed only while it is a DRAFT.

Money is `Decimal` throughout (the figures and their rounding: `lines`). Approval: a quote
whose largest line discount, or whose overall discount (how far its subtotal is below the
lines' list prices, price overrides included), exceeds the ADMIN's threshold cannot be sent
until it is approved; the threshold in force when it was sent is kept with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from crm_kit.errors import FieldError
from crm_sales.opportunities.values import Opportunity
from crm_sales.quotes.lines import QuoteLine, Totals, needs_approval, quote_number, totals
from crm_sales.quotes.terms import (
    REASON_MAX_CHARS,
    QuoteError,
    QuoteSettings,
    Terms,
    customer_name_of,
    note_of,
    tax_rate_of,
    valid_until_of,
)
from crm_sales.shared.clock import day_of
from crm_sales.validation import raise_if_any, text


class QuoteStatus(StrEnum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"  # read only: a SENT quote past its validity


# The moves a quote may make; EXPIRED is reached by time alone.
NEXT: Mapping[QuoteStatus, tuple[QuoteStatus, ...]] = MappingProxyType(
    {
        QuoteStatus.DRAFT: (QuoteStatus.SENT,),
        QuoteStatus.SENT: (QuoteStatus.ACCEPTED, QuoteStatus.REJECTED, QuoteStatus.EXPIRED),
        QuoteStatus.ACCEPTED: (),
        QuoteStatus.REJECTED: (),
        QuoteStatus.EXPIRED: (),
    }
)


class ApprovalStatus(StrEnum):
    NOT_REQUIRED = "NOT_REQUIRED"
    REQUIRED = "REQUIRED"
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"


@dataclass(frozen=True, slots=True)
class Approval:
    requested_by: str | None = None
    requested_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Sending:
    """Who sent the quote, when, and the discount threshold in force then."""

    by: str
    at: datetime
    threshold: Decimal


@dataclass(frozen=True, slots=True)
class Decision:
    """The customer's answer as recorded: accepted (and whether the deal was marked won with
    it) or rejected (with a reason when given)."""

    by: str
    at: datetime
    reason: str | None = None
    opportunity_won: bool = False


@dataclass(frozen=True, slots=True)
class Quote:
    id: str
    year: int
    sequence: int
    revision: int  # 1 for the first version of the number, +1 per revision
    opportunity_id: str
    customer_id: str
    customer_name: str  # whom it is addressed to, as given or from the customer projection
    currency: str
    lines: tuple[QuoteLine, ...]
    tax_rate: Decimal
    valid_until: date
    status: QuoteStatus  # as stored: never EXPIRED (see `status_on`)
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int  # +1 per change (optimistic concurrency)
    note: str | None = None
    supersedes_id: str | None = None
    superseded_by_id: str | None = None
    approval: Approval | None = None
    sending: Sending | None = None
    decision: Decision | None = None

    @property
    def number(self) -> str:
        return quote_number(self.year, self.sequence)

    @property
    def totals(self) -> Totals:
        return totals(self.lines, self.tax_rate, self.currency)

    def status_on(self, today: date) -> QuoteStatus:
        """The status as it reads on `today`: a SENT quote past its validity is EXPIRED."""
        if self.status is QuoteStatus.SENT and self.valid_until < today:
            return QuoteStatus.EXPIRED
        return self.status


def approval_status(quote: Quote, threshold: Decimal) -> ApprovalStatus:
    """Where the quote's approval stands: under `threshold` while it is a draft, under the
    threshold it was sent with afterwards."""
    approval = quote.approval
    if approval is not None and approval.approved_by is not None:
        return ApprovalStatus.APPROVED
    limit = quote.sending.threshold if quote.sending is not None else threshold
    if not needs_approval(quote.lines, limit):
        return ApprovalStatus.NOT_REQUIRED
    if approval is not None and approval.requested_by is not None:
        return ApprovalStatus.REQUESTED
    return ApprovalStatus.REQUIRED


def allowed_next(quote: Quote, today: date) -> tuple[QuoteStatus, ...]:
    """The statuses a person may move it to now (none once superseded; EXPIRED excluded)."""
    if quote.superseded_by_id is not None:
        return ()
    nexts = NEXT[quote.status_on(today)]
    return tuple(status for status in nexts if status is not QuoteStatus.EXPIRED)


# --- writing ----------------------------------------------------------------------------


def _quoted_lines(opportunity: Opportunity, field: str) -> tuple[QuoteLine, ...]:
    """The deal's lines, if it may be quoted: open (else OPPORTUNITY_CLOSED) and priced
    (else NO_LINE_ITEMS)."""
    if not opportunity.is_open:
        raise QuoteError.single(
            field,
            "OPPORTUNITY_CLOSED",
            f"opportunity {opportunity.id} is {opportunity.status}: only an open deal is quoted",
        )
    if not opportunity.line_items:
        raise QuoteError.single(
            field, "NO_LINE_ITEMS", f"opportunity {opportunity.id} has no line items to quote"
        )
    return tuple(QuoteLine.of(item) for item in opportunity.line_items)


def draft(
    terms: Terms,
    *,
    id: str,
    year: int,
    sequence: int,
    opportunity: Opportunity,
    settings: QuoteSettings,
    customer_name: str,
    actor: str,
    now: datetime,
) -> Quote:
    """The first version of a new quote number, as a DRAFT: the deal's lines, the given terms
    (the settings' defaults for those omitted; `customer_name` the name the customer is known
    by, unless the terms name another); every problem reported at once."""
    errors: list[FieldError] = []
    today = day_of(now)
    name = customer_name_of(errors, terms.customer_name, customer_name)
    tax = tax_rate_of(errors, terms.tax_rate, settings.default_tax_rate)
    valid = valid_until_of(errors, terms.valid_until, today, settings.validity_days)
    note = note_of(errors, terms.note, None)
    try:
        lines = _quoted_lines(opportunity, "opportunityId")
    except QuoteError as refused:
        errors.extend(refused.field_errors)
    raise_if_any(errors, QuoteError, "The quote is invalid")
    assert tax is not None and valid is not None
    return Quote(
        id=id,
        year=year,
        sequence=sequence,
        revision=1,
        opportunity_id=opportunity.id,
        customer_id=opportunity.customer_id,
        customer_name=name,
        currency=opportunity.currency,
        lines=lines,
        tax_rate=tax,
        valid_until=valid,
        status=QuoteStatus.DRAFT,
        created_by=actor,
        created_at=now,
        updated_at=now,
        version=1,
        note=note,
    )


def _bumped(quote: Quote, now: datetime) -> Quote:
    """The quote as a change leaves it: +1 version, changed now."""
    return replace(quote, updated_at=now, version=quote.version + 1)


def _require_draft(quote: Quote) -> None:
    if quote.status is not QuoteStatus.DRAFT:
        raise QuoteError.single(
            "id", "NOT_DRAFT", f"quote {quote.number} is {quote.status}: only a draft changes"
        )


def update_draft(quote: Quote, terms: Terms, *, now: datetime) -> Quote:
    """A draft's validity, tax rate, note or addressee changed (None: unchanged; a blank note:
    none)."""
    _require_draft(quote)
    errors: list[FieldError] = []
    today = day_of(now)
    tax = tax_rate_of(errors, terms.tax_rate, quote.tax_rate)
    valid = (
        valid_until_of(errors, terms.valid_until, today, 0)
        if terms.valid_until is not None
        else quote.valid_until
    )
    note = note_of(errors, terms.note, quote.note)
    name = customer_name_of(errors, terms.customer_name, quote.customer_name)
    raise_if_any(errors, QuoteError, "The quote is invalid")
    assert tax is not None and valid is not None
    changed = replace(_bumped(quote, now), tax_rate=tax, valid_until=valid, note=note)
    return replace(changed, customer_name=name)


def revise(
    previous: Quote,
    *,
    id: str,
    opportunity: Opportunity,
    settings: QuoteSettings,
    actor: str,
    now: datetime,
) -> tuple[Quote, Quote]:
    """The next version of a sent, rejected or expired quote, as a DRAFT with the deal's
    current lines and the same tax rate and note; and the previous one, marked superseded."""
    status = previous.status_on(day_of(now))
    if previous.superseded_by_id is not None:
        raise QuoteError.single(
            "id", "SUPERSEDED", f"quote {previous.number} has a newer version: revise that one"
        )
    if status in (QuoteStatus.DRAFT, QuoteStatus.ACCEPTED):
        raise QuoteError.single(
            "id",
            "NOT_REVISABLE",
            f"quote {previous.number} is {status}: a draft is edited, an accepted quote is final",
        )
    lines = _quoted_lines(opportunity, "id")
    new = Quote(
        id=id,
        year=previous.year,
        sequence=previous.sequence,
        revision=previous.revision + 1,
        opportunity_id=opportunity.id,
        customer_id=opportunity.customer_id,
        customer_name=previous.customer_name,
        currency=opportunity.currency,
        lines=lines,
        tax_rate=previous.tax_rate,
        valid_until=day_of(now) + timedelta(days=settings.validity_days),
        status=QuoteStatus.DRAFT,
        created_by=actor,
        created_at=now,
        updated_at=now,
        version=1,
        note=previous.note,
        supersedes_id=previous.id,
    )
    return replace(_bumped(previous, now), superseded_by_id=id), new


def _approvable(quote: Quote, threshold: Decimal) -> Approval:
    _require_draft(quote)
    state = approval_status(quote, threshold)
    if state is ApprovalStatus.NOT_REQUIRED:
        raise QuoteError.single(
            "id", "APPROVAL_NOT_NEEDED", f"quote {quote.number} is within the discount threshold"
        )
    if state is ApprovalStatus.APPROVED:
        raise QuoteError.single("id", "ALREADY_APPROVED", f"quote {quote.number} is approved")
    return quote.approval or Approval()


def request_approval(quote: Quote, *, threshold: Decimal, actor: str, now: datetime) -> Quote:
    """A draft over the threshold put to a manager (asked again: the latest request)."""
    approval = replace(_approvable(quote, threshold), requested_by=actor, requested_at=now)
    return replace(_bumped(quote, now), approval=approval)


def approve(
    quote: Quote,
    *,
    threshold: Decimal,
    actor: str,
    now: datetime,
    note: str | None,
    own_allowed: bool,
) -> Quote:
    """A draft's discount approved; a manager may not approve a quote they made themselves
    unless `own_allowed` (an ADMIN)."""
    current = _approvable(quote, threshold)
    if actor == quote.created_by and not own_allowed:
        raise QuoteError.single(
            "id", "SELF_APPROVAL", "a quote is approved by someone other than its author"
        )
    errors: list[FieldError] = []
    kept = text(errors, "note", note, limit=REASON_MAX_CHARS, required=False)
    raise_if_any(errors, QuoteError, "The approval is invalid")
    approval = replace(current, approved_by=actor, approved_at=now, note=kept)
    return replace(_bumped(quote, now), approval=approval)


def send(quote: Quote, *, threshold: Decimal, actor: str, now: datetime) -> Quote:
    """A draft sent: still valid today, and approved when its discount needs it."""
    _require_draft(quote)
    if quote.valid_until < day_of(now):
        raise QuoteError.single(
            "validUntil",
            "IN_PAST",
            f"quote {quote.number} was valid until {quote.valid_until}: set a new date first",
        )
    if approval_status(quote, threshold) in (ApprovalStatus.REQUIRED, ApprovalStatus.REQUESTED):
        raise QuoteError.single(
            "id",
            "APPROVAL_REQUIRED",
            f"quote {quote.number} has a discount above {threshold}%: a manager approves it first",
        )
    sending = Sending(actor, now, threshold)
    return replace(_bumped(quote, now), status=QuoteStatus.SENT, sending=sending)


def _require_answerable(quote: Quote, today: date) -> None:
    if quote.superseded_by_id is not None:
        raise QuoteError.single(
            "id", "SUPERSEDED", f"quote {quote.number} was superseded by a newer version"
        )
    status = quote.status_on(today)
    if status is QuoteStatus.EXPIRED:
        raise QuoteError.single(
            "id", "EXPIRED", f"quote {quote.number} expired after {quote.valid_until}"
        )
    if status is not QuoteStatus.SENT:
        raise QuoteError.single(
            "id", "NOT_SENT", f"quote {quote.number} is {status}: only a sent quote is answered"
        )


def accept(quote: Quote, *, actor: str, now: datetime, opportunity_won: bool) -> Quote:
    """A sent, current and unexpired quote accepted by the customer."""
    _require_answerable(quote, day_of(now))
    decision = Decision(actor, now, opportunity_won=opportunity_won)
    return replace(_bumped(quote, now), status=QuoteStatus.ACCEPTED, decision=decision)


def reject(quote: Quote, *, actor: str, now: datetime, reason: str | None) -> Quote:
    """A sent, current and unexpired quote rejected by the customer (why, when known)."""
    _require_answerable(quote, day_of(now))
    errors: list[FieldError] = []
    kept = text(errors, "reason", reason, limit=REASON_MAX_CHARS, required=False)
    raise_if_any(errors, QuoteError, "The rejection is invalid")
    decision = Decision(actor, now, reason=kept)
    return replace(_bumped(quote, now), status=QuoteStatus.REJECTED, decision=decision)
