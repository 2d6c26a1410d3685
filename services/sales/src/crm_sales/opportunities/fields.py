"""Checking what a writer gives for an opportunity's fields. Pure.

`apply_changes` returns the opportunity as it would be with every valid change applied, and
the errors of the others: a move needs the candidate to judge the gate even when some field
is wrong, so that one answer names every field to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

from crm_kit.errors import FieldError
from crm_sales.line_items.model import LineItem, total
from crm_sales.money.model import Money, currency, parse_amount
from crm_sales.opportunities.values import (
    COMPETITOR_MAX_CHARS,
    CONTACT_NAME_MAX_CHARS,
    CUSTOM_VALUE_MAX_CHARS,
    MAX_COMPETITORS,
    MAX_CONTACTS,
    MAX_CUSTOM_FIELDS,
    MAX_TAGS,
    NAME_MAX_CHARS,
    NEXT_STEP_MAX_CHARS,
    SOURCE_MAX_CHARS,
    TAG_MAX_CHARS,
    BuyingRole,
    Changes,
    Clear,
    Contact,
    Opportunity,
    ProbabilityOverride,
)
from crm_sales.pipelines.model import CUSTOM_KEY
from crm_sales.validation import collect, parse_date, text, texts


def apply_changes(
    opportunity: Opportunity, changes: Changes, *, actor: str, now: datetime
) -> tuple[Opportunity, list[FieldError]]:
    """The candidate with every valid change applied, and the errors of the rest."""
    errors: list[FieldError] = []
    name = opportunity.name
    if changes.name is not None:
        name = text(errors, "name", changes.name, limit=NAME_MAX_CHARS, required=True) or name
    code, amount, items = _money_fields(errors, opportunity, changes)
    candidate = replace(
        opportunity,
        name=name,
        currency=code,
        amount=amount,
        line_items=items,
        expected_close_date=_close_date(
            errors, opportunity.expected_close_date, changes.expected_close_date
        ),
        next_step=_optional_text(
            errors, "nextStep", opportunity.next_step, changes.next_step, NEXT_STEP_MAX_CHARS
        ),
        source=_optional_text(
            errors, "source", opportunity.source, changes.source, SOURCE_MAX_CHARS
        ),
        probability_override=_probability(errors, opportunity, changes, actor, now),
    )
    return _lists(errors, candidate, changes), errors


def _lists(errors: list[FieldError], candidate: Opportunity, changes: Changes) -> Opportunity:
    """Competitors, contacts, tags and custom fields: each replaced whole when given."""
    if changes.competitors is not None:
        competitors = texts(
            errors,
            "competitors",
            changes.competitors,
            limit=COMPETITOR_MAX_CHARS,
            most=MAX_COMPETITORS,
        )
        candidate = replace(candidate, competitors=competitors)
    if changes.contacts is not None:
        candidate = replace(candidate, contacts=_contacts(errors, changes.contacts))
    if changes.tags is not None:
        tags = texts(errors, "tags", changes.tags, limit=TAG_MAX_CHARS, most=MAX_TAGS)
        candidate = replace(candidate, tags=tags)
    if changes.custom_fields is not None:
        candidate = replace(candidate, custom_fields=_custom_fields(errors, changes.custom_fields))
    return candidate


def _money_fields(
    errors: list[FieldError], opportunity: Opportunity, changes: Changes
) -> tuple[str, Money | None, tuple[LineItem, ...]]:
    """The deal's currency, amount and line items after the changes.

    With line items the amount is their total; the currency of every line must be the deal's.
    Without, the amount is what was given (or kept, re-checked in a new currency)."""
    code = opportunity.currency
    if changes.currency is not None:
        found = collect(errors, lambda: currency(changes.currency or ""))
        code = found.code if found is not None else code
    items = changes.line_items if changes.line_items is not None else opportunity.line_items
    if items:
        if changes.amount is not None:
            errors.append(
                FieldError("amount", "SET_BY_LINE_ITEMS", "the amount is the line items' total")
            )
        if any(item.currency != code for item in items):
            field = "lineItems" if changes.line_items is not None else "currency"
            errors.append(
                FieldError(field, "CURRENCY_MISMATCH", f"the line items must be priced in {code}")
            )
            return opportunity.currency, opportunity.amount, opportunity.line_items
        return code, total(items, code), items
    return code, _amount(errors, opportunity.amount, changes.amount, code), items


def _amount(
    errors: list[FieldError], current: Money | None, given: object | Clear, code: str
) -> Money | None:
    if isinstance(given, Clear):
        return None
    raw = given if given is not None else current.amount if current is not None else None
    if raw is None:
        return None
    return collect(errors, lambda: parse_amount(raw, code)) or current


def _close_date(
    errors: list[FieldError], current: date | None, given: date | str | Clear | None
) -> date | None:
    if isinstance(given, Clear):
        return None
    if given is None:
        return current
    return collect(errors, lambda: parse_date(given, field="expectedCloseDate")) or current


def _optional_text(
    errors: list[FieldError],
    field: str,
    current: str | None,
    given: str | Clear | None,
    limit: int,
) -> str | None:
    if isinstance(given, Clear):
        return None
    if given is None:
        return current
    return text(errors, field, given, limit=limit, required=False)


def _probability(
    errors: list[FieldError],
    opportunity: Opportunity,
    changes: Changes,
    actor: str,
    now: datetime,
) -> ProbabilityOverride | None:
    """An override is a whole percent from 0 to 100 and remembers who set it; CLEAR returns
    to the stage's default."""
    given = changes.probability
    if given is None:
        return opportunity.probability_override
    if isinstance(given, Clear):
        return None
    if isinstance(given, bool) or not isinstance(given, int) or not 0 <= given <= 100:
        errors.append(
            FieldError("probability", "OUT_OF_RANGE", "probability is a whole percent, 0 to 100")
        )
        return opportunity.probability_override
    return ProbabilityOverride(given, actor, now)


def _contacts(errors: list[FieldError], given: tuple[tuple[str, str], ...]) -> tuple[Contact, ...]:
    if len(given) > MAX_CONTACTS:
        errors.append(FieldError("contacts", "TOO_MANY", f"at most {MAX_CONTACTS} contacts"))
        return ()
    kept: dict[Contact, None] = {}
    for index, (name, role) in enumerate(given):
        path = f"contacts[{index}]"
        person = text(errors, f"{path}.name", name, limit=CONTACT_NAME_MAX_CHARS, required=True)
        if role not in BuyingRole.__members__:
            errors.append(FieldError(f"{path}.role", "INVALID", f"{role} is not a buying role"))
        elif person is not None:
            kept.setdefault(Contact(person, BuyingRole(role)), None)
    return tuple(kept)


def _custom_fields(errors: list[FieldError], given: Mapping[str, str]) -> dict[str, str]:
    if len(given) > MAX_CUSTOM_FIELDS:
        errors.append(
            FieldError("customFields", "TOO_MANY", f"at most {MAX_CUSTOM_FIELDS} custom fields")
        )
        return {}
    kept: dict[str, str] = {}
    for key, value in given.items():
        path = f"customFields.{key}"
        if not CUSTOM_KEY.fullmatch(key):
            errors.append(FieldError(path, "INVALID_KEY", "a key is a-z, 0-9 or _, 1 to 40 long"))
            continue
        cleaned = text(errors, path, value, limit=CUSTOM_VALUE_MAX_CHARS, required=False)
        if cleaned is not None:
            kept[key] = cleaned
    return kept
