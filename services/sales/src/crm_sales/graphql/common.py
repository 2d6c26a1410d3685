"""GraphQL values every sales feature shares: money, a date range, texts in the caller's
language and the error list of a mutation's description."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from crm_kit.errors import BadUserInput, FieldError
from crm_kit.graphql import Money
from crm_kit.i18n import EN, language_var
from crm_sales.money.model import Money as DomainMoney


def in_language(zh: str, en: str) -> str:
    """The caller's language's text (Accept-Language; Chinese by default)."""
    return en if language_var.get() == EN else zh


MoneyType = Money
"""The API's `Money` (crm_kit.graphql), under a name apart from the domain's `Money`."""


def money_of(value: DomainMoney | None) -> Money | None:
    return None if value is None else Money(amount=value.text, currency=value.currency)


def money_shown(value: DomainMoney) -> Money:
    """An amount that is always there (a sum, a target), as the API's `Money`."""
    return Money(amount=value.text, currency=value.currency)


def decimal_text(value: Decimal | None) -> str | None:
    """A decimal figure (a percentage, days) as the API writes it: plain notation, no exponent."""
    return None if value is None else f"{value:f}"


@strawberry.input(
    description="A range of calendar dates, both ends included (`YYYY-MM-DD`). Either end may "
    "be left out for an open range; `from` after `to` is BAD_USER_INPUT (`<field>.to` "
    "OUT_OF_RANGE)."
)
class DateRangeInput:
    from_: date | None = strawberry.field(
        default=None, name="from", description="The first day included; none when omitted."
    )
    to: date | None = strawberry.field(
        default=None, description="The last day included; none when omitted."
    )


def date_bounds(value: DateRangeInput | None, field: str) -> tuple[date | None, date | None]:
    """The range's ends, checked (a reversed one is BAD_USER_INPUT naming `<field>.to`)."""
    if value is None:
        return None, None
    if value.from_ and value.to and value.from_ > value.to:
        raise BadUserInput(
            [FieldError(f"{field}.to", "OUT_OF_RANGE", f"{field}.to is before {field}.from")],
            f"{field}.to is before {field}.from",
        )
    return value.from_, value.to
