"""The sales service's own settings."""

from __future__ import annotations

import pytest

from crm_sales import settings
from crm_sales.settings import ConfigError, SalesSettings


def test_the_base_currency_is_cny_unless_set() -> None:
    assert settings.from_env({}).base_currency == "CNY"
    assert settings.from_env({"SALES_BASE_CURRENCY": " usd "}).base_currency == "USD"


def test_an_unknown_currency_or_a_bad_wait_is_refused() -> None:
    with pytest.raises(ConfigError):
        SalesSettings(base_currency="XXX")
    with pytest.raises(ConfigError):
        settings.from_env({"SALES_CUSTOMER_WAIT_SECONDS": "soon"})
    with pytest.raises(ConfigError):
        settings.from_env({"SALES_CUSTOMER_WAIT_SECONDS": "-1"})
