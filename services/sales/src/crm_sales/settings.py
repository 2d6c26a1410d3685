"""The sales service's own settings from environment variables (read by `__main__`, passed to
`create_app`; the settings every service has come from `crm_kit.settings`).

| variable | default | meaning |
|---|---|---|
| `SALES_BASE_CURRENCY` | `CNY` | the organisation's base currency (see below) |
| `SALES_CUSTOMER_WAIT_SECONDS` | `2` | how long a write waits for a new customer to appear |
| `SALES_STALL_CHECK_SECONDS` | `300` | how often the stall watch looks for stalled deals |
| `SALES_FISCAL_YEAR_START_MONTH` | `1` | the month (1–12) the fiscal year starts in |
| `SALES_TIME_ZONE` | `Asia/Shanghai` | the organisation's time zone (an IANA name) |
| `SALES_PDF_FONT` | WenQuanYi Micro Hei (below) | the CJK font file quote PDFs embed |

Every amount is also reported in the base currency, and an exchange rate says what one unit
of another currency is worth in it. A write naming a customer the projection has not seen
waits up to the wait setting (the projection lags customer creation by milliseconds), then
refuses it (`customerId` UNKNOWN_CUSTOMER). The stall watch (one replica at a time) publishes
`opportunity.stalled.v1` within about the check interval after a deal passes its stage's
stall threshold. Sales targets are set per month, fiscal quarter and fiscal year: the fiscal
year starts on the first of its start month and is named by the calendar year it starts in,
and every period runs from midnight to midnight in the organisation's time zone. Set both
before the first target is set: targets already set are not moved to the new periods.
Quote PDFs embed the font file, a `.ttf` or a `.ttc` whose first face is used; by default
`/usr/share/fonts/truetype/wqy/wqy-microhei.ttc` of Debian's `fonts-wqy-microhei` (which
`make install` and the image install). Without it a PDF is refused with a typed error (logged
once) and XLSX still works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_sales.money.model import BASE_CURRENCY, CURRENCIES
from crm_sales.targets.periods import DEFAULT_TIME_ZONE, SalesCalendar

DEFAULT_PDF_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SalesSettings:
    base_currency: str = BASE_CURRENCY
    customer_wait_seconds: float = 2.0
    stall_check_seconds: float = 300.0
    bulk_max_items: int = 500  # opportunities per bulk call (bulkAssignOpportunities)
    fiscal_year_start_month: int = 1
    time_zone: str = DEFAULT_TIME_ZONE
    pdf_font: str = DEFAULT_PDF_FONT  # SALES_PDF_FONT: checked when a PDF is made

    def __post_init__(self) -> None:
        if self.base_currency not in CURRENCIES:
            raise ConfigError(f"SALES_BASE_CURRENCY must be one of {', '.join(CURRENCIES)}")
        if not 0 <= self.customer_wait_seconds <= 60:
            raise ConfigError("SALES_CUSTOMER_WAIT_SECONDS must be 0 to 60")
        if not 1 <= self.stall_check_seconds <= 86_400:
            raise ConfigError("SALES_STALL_CHECK_SECONDS must be 1 to 86400")
        if not 1 <= self.bulk_max_items <= 5_000:
            raise ConfigError("bulk_max_items must be 1 to 5000")
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise ConfigError("SALES_FISCAL_YEAR_START_MONTH must be 1 to 12")
        if not _known_zone(self.time_zone):
            raise ConfigError("SALES_TIME_ZONE must be an IANA time zone such as Asia/Shanghai")
        if not self.pdf_font.strip():
            raise ConfigError("SALES_PDF_FONT must be the path of a font file")

    @property
    def calendar(self) -> SalesCalendar:
        """The periods sales targets are set for."""
        return SalesCalendar(self.fiscal_year_start_month, self.time_zone)


def from_env(env: Mapping[str, str]) -> SalesSettings:
    return SalesSettings(
        base_currency=env.get("SALES_BASE_CURRENCY", BASE_CURRENCY).strip().upper(),
        customer_wait_seconds=_seconds(env, "SALES_CUSTOMER_WAIT_SECONDS", "2"),
        stall_check_seconds=_seconds(env, "SALES_STALL_CHECK_SECONDS", "300"),
        fiscal_year_start_month=_month(env, "SALES_FISCAL_YEAR_START_MONTH", "1"),
        time_zone=env.get("SALES_TIME_ZONE", DEFAULT_TIME_ZONE).strip(),
        pdf_font=env.get("SALES_PDF_FONT", DEFAULT_PDF_FONT).strip(),
    )


def _seconds(env: Mapping[str, str], name: str, default: str) -> float:
    try:
        return float(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of seconds") from exc


def _month(env: Mapping[str, str], name: str, default: str) -> int:
    try:
        return int(env.get(name, default).strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be a month number, 1 to 12") from exc


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # unknown, or not a zone name at all
        return False
    return True
