"""MongoDB adapter of exchange rates: one document per base currency, currency and effective
date (`_id` = `<base>:<currency>:<YYYY-MM-DD>`, so saving a rate for a day replaces that day's;
ids sort by currency, then date). Rates are stored as decimal strings, never floats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, Session
from crm_sales.money.model import ExchangeRate

RATES = "exchange_rates"


def rate_id(rate: ExchangeRate) -> str:
    return f"{rate.base}:{rate.currency}:{rate.effective_from.isoformat()}"


def rate_from_doc(doc: Document) -> ExchangeRate:
    return ExchangeRate(
        currency=doc["currency"],
        rate=Decimal(doc["rate"]),
        effective_from=date.fromisoformat(doc["effectiveFrom"]),
        base=doc["base"],
    )


class RateRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[RATES]

    async def get(self, rate: ExchangeRate, session: Session) -> ExchangeRate | None:
        doc = await self._collection.find_one({"_id": rate_id(rate)}, session=session)
        return rate_from_doc(doc) if doc is not None else None

    async def save(self, rate: ExchangeRate, at: datetime, actor: str, session: Session) -> None:
        await self._collection.replace_one(
            {"_id": rate_id(rate)},
            {
                "base": rate.base,
                "currency": rate.currency,
                "rate": f"{rate.rate:f}",
                "effectiveFrom": rate.effective_from.isoformat(),
                "updatedAt": at,
                "updatedBy": actor,
            },
            upsert=True,
            session=session,
        )
