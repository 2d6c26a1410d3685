"""The sales service's own settings from environment variables (read by `__main__`, passed to
`create_app`; the settings every service has come from `crm_kit.settings`).

| variable | default | meaning |
|---|---|---|
| `SALES_BASE_CURRENCY` | `CNY` | the organisation's base currency (see below) |
| `SALES_CUSTOMER_WAIT_SECONDS` | `2` | how long a write waits for a new customer to appear |
| `SALES_STALL_CHECK_SECONDS` | `300` | how often the stall watch looks for stalled deals |

Every amount is also reported in the base currency, and an exchange rate says what one unit
of another currency is worth in it. A write naming a customer the projection has not seen
waits up to the wait setting (the projection lags customer creation by milliseconds), then
refuses it (`customerId` UNKNOWN_CUSTOMER). The stall watch (one replica at a time) publishes
`opportunity.stalled.v1` within about the check interval after a deal passes its stage's
stall threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm_sales.money.model import BASE_CURRENCY, CURRENCIES


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SalesSettings:
    base_currency: str = BASE_CURRENCY
    customer_wait_seconds: float = 2.0
    stall_check_seconds: float = 300.0
    bulk_max_items: int = 500  # opportunities per bulk call (bulkAssignOpportunities)

    def __post_init__(self) -> None:
        if self.base_currency not in CURRENCIES:
            raise ConfigError(f"SALES_BASE_CURRENCY must be one of {', '.join(CURRENCIES)}")
        if not 0 <= self.customer_wait_seconds <= 60:
            raise ConfigError("SALES_CUSTOMER_WAIT_SECONDS must be 0 to 60")
        if not 1 <= self.stall_check_seconds <= 86_400:
            raise ConfigError("SALES_STALL_CHECK_SECONDS must be 1 to 86400")
        if not 1 <= self.bulk_max_items <= 5_000:
            raise ConfigError("bulk_max_items must be 1 to 5000")


def from_env(env: Mapping[str, str]) -> SalesSettings:
    return SalesSettings(
        base_currency=env.get("SALES_BASE_CURRENCY", BASE_CURRENCY).strip().upper(),
        customer_wait_seconds=_seconds(env, "SALES_CUSTOMER_WAIT_SECONDS", "2"),
        stall_check_seconds=_seconds(env, "SALES_STALL_CHECK_SECONDS", "300"),
    )


def _seconds(env: Mapping[str, str], name: str, default: str) -> float:
    try:
        return float(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds") from exc
