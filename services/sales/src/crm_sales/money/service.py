"""Exchange rate use cases (ADMIN): save the rate of a currency from a date on."""

from __future__ import annotations

from datetime import date

from crm_kit import audit
from crm_kit.audit import Change
from crm_kit.auth import Principal
from crm_kit.uow import Transaction
from crm_sales.money.model import ExchangeRate, exchange_rate
from crm_sales.money.store import RateRepository, rate_id
from crm_sales.shared.writes import Writes, require_admin


class RateService:
    def __init__(self, writes: Writes, rates: RateRepository, base: str) -> None:
        self._writes = writes
        self._rates = rates
        self._base = base

    async def save(
        self, principal: Principal, currency: str, rate: str, effective_from: date | str
    ) -> ExchangeRate:
        """The rate of `currency` in the base currency from `effective_from` on (replacing
        that day's rate when there is one). Earlier days keep converting at earlier rates."""
        require_admin(principal)
        checked = exchange_rate(currency, rate, effective_from, base=self._base)

        async def work(tx: Transaction) -> ExchangeRate:
            before = await self._rates.get(checked, tx.session)
            await self._rates.save(checked, self._writes.now(), principal.sub, tx.session)
            audit.record(
                tx,
                "exchange_rate.save",
                "ExchangeRate",
                rate_id(checked),
                changes=[
                    Change(
                        "rate",
                        f"{before.rate:f}" if before is not None else None,
                        f"{checked.rate:f}",
                    )
                ],
            )
            return checked

        return await self._writes.uow.run(work)
