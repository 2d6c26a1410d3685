"""GraphQL of currencies and exchange rates: `currencies`, `exchangeRates` and
`saveExchangeRate` (ADMIN)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated

import strawberry

from crm_kit.graphql import PageAfter, PageFirst, PageInfo, page_info
from crm_kit.paging import page_size
from crm_sales import access
from crm_sales.graphql.common import in_language
from crm_sales.graphql.context import Info
from crm_sales.money import model
from crm_sales.money.model import CURRENCIES, MAX_RATE, RATE_MAX_PLACES


@strawberry.type(name="Currency", description="A currency the sales service accepts.")
class CurrencyType:
    code: str = strawberry.field(description="ISO 4217 code (CNY, USD, …).")
    minor_units: int = strawberry.field(
        description="Decimal places of its amounts (ISO 4217: 2 for CNY, 0 for JPY)."
    )
    name_zh: str = strawberry.field(description="Its name in Chinese.")
    name_en: str = strawberry.field(description="Its name in English.")
    base: bool = strawberry.field(
        description="The organisation's base currency (setting SALES_BASE_CURRENCY): every "
        "amount is also reported in it."
    )

    @strawberry.field(description="Its name in the caller's language (Accept-Language).")
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)


@strawberry.type(
    name="ExchangeRate",
    description="What one unit of a currency is worth in the base currency from a date on.",
)
class ExchangeRateType:
    currency: str = strawberry.field(description="The currency (ISO 4217).")
    base: str = strawberry.field(description="The base currency it converts to.")
    rate: str = strawberry.field(
        description="Units of the base currency per unit of `currency`, an exact decimal string."
    )
    effective_from: date = strawberry.field(
        description="The first day it applies to; it applies until the next rate's date."
    )

    @classmethod
    def of(cls, rate: model.ExchangeRate) -> ExchangeRateType:
        return cls(
            currency=rate.currency,
            base=rate.base,
            rate=f"{rate.rate:f}",
            effective_from=rate.effective_from,
        )


@strawberry.type(description="An exchange rate and its cursor.")
class ExchangeRateEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: ExchangeRateType = strawberry.field(description="The rate.")


@strawberry.type(description="A page of exchange rates, by currency, then effective date.")
class ExchangeRateConnection:
    edges: list[ExchangeRateEdge] = strawberry.field(description="This page's rates.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All rates of the list, not only this page.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.input(description="An exchange rate to save.")
class SaveExchangeRateInput:
    currency: str = strawberry.field(
        description="An accepted ISO 4217 code other than the base currency (see `currencies`)."
    )
    rate: str = strawberry.field(
        description=f"Base-currency units per unit, a decimal string above 0 and below "
        f"{MAX_RATE:f}, at most {RATE_MAX_PLACES} decimal places (`7.2315`)."
    )
    effective_from: str = strawberry.field(
        description="The first day it applies to, `YYYY-MM-DD`; a rate saved again for the "
        "same day replaces it."
    )


@strawberry.type(description="What saveExchangeRate saved.")
class SaveExchangeRatePayload:
    exchange_rate: ExchangeRateType = strawberry.field(description="The rate as saved.")


@strawberry.type
class RateQuery:
    @strawberry.field(
        description="The currencies amounts may be given in, base currency included. Roles "
        "that may read opportunities (others: FORBIDDEN)."
    )
    def currencies(self, info: Info) -> list[CurrencyType]:
        access.require_reader(info.context.principal)
        base = info.context.deps.base_currency
        return [
            CurrencyType(
                code=c.code,
                minor_units=c.minor_units,
                name_zh=c.name_zh,
                name_en=c.name_en,
                base=c.code == base,
            )
            for c in CURRENCIES.values()
        ]

    @strawberry.field(
        description="Exchange rates to the base currency, by currency, then effective date "
        "(oldest first). Roles that may read opportunities (others: FORBIDDEN). Errors: "
        "BAD_USER_INPUT (`first` OUT_OF_RANGE; `after` INVALID_CURSOR)."
    )
    async def exchange_rates(
        self,
        info: Info,
        currency: Annotated[
            str | None, strawberry.argument(description="Only this currency's rates.")
        ] = None,
        first: PageFirst = 20,
        after: PageAfter = None,
    ) -> ExchangeRateConnection:
        access.require_reader(info.context.principal)
        queries = info.context.deps.rate_queries
        page = await queries.page(currency, page_size(first), after)
        edges = [
            ExchangeRateEdge(cursor=c, node=ExchangeRateType.of(r))
            for r, c in zip(page.items, page.cursors, strict=True)
        ]
        return ExchangeRateConnection(
            edges=edges,
            page_info=page_info(page.cursors, page.has_next, after is not None),
            count=lambda: queries.count(currency),
        )


@strawberry.type
class RateMutation:
    @strawberry.mutation(
        description="Save the rate of a currency from a date on (amounts of earlier days keep "
        "their rates). ADMIN only. Errors: BAD_USER_INPUT (`currency` INVALID_CURRENCY, "
        "SAME_AS_BASE; `rate` INVALID, FLOAT_NOT_ALLOWED, NOT_FINITE, PRECISION, OUT_OF_RANGE; "
        "`effectiveFrom` INVALID_DATE, OUT_OF_RANGE), FORBIDDEN."
    )
    async def save_exchange_rate(
        self,
        info: Info,
        input: Annotated[SaveExchangeRateInput, strawberry.argument(description="The rate.")],
    ) -> SaveExchangeRatePayload:
        saved = await info.context.deps.rates.save(
            info.context.principal, input.currency, input.rate, input.effective_from
        )
        return SaveExchangeRatePayload(exchange_rate=ExchangeRateType.of(saved))
