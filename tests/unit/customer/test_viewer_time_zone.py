"""The viewer's time zone: the token's `zoneinfo` claim when it names a known zone, else the
service's default (`CUSTOMER_DEFAULT_TIME_ZONE`, refused at start when unknown)."""

from __future__ import annotations

import jwt
import pytest

from crm_customer.settings import ViewerSettings
from crm_customer.viewer.model import DEFAULT_TIME_ZONE, known_zone, time_zone
from crm_kit.auth import issue_dev_token, principal_from_claims


@pytest.mark.parametrize(
    ("claimed", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("", "Asia/Shanghai"),
        ("Mars/Olympus_Mons", "Asia/Shanghai"),
        ("../../etc/passwd", "Asia/Shanghai"),
        ("/usr/share/zoneinfo/UTC", "Asia/Shanghai"),
    ],
)
def test_the_claim_wins_when_it_names_a_known_zone(claimed: str, expected: str) -> None:
    assert time_zone(claimed, DEFAULT_TIME_ZONE) == expected


def test_the_token_s_zoneinfo_claim_reaches_the_principal() -> None:
    token = issue_dev_token("s" * 32, sub="li", roles=["SALES"], time_zone="Asia/Tokyo")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["zoneinfo"] == "Asia/Tokyo"
    assert principal_from_claims(claims).time_zone == "Asia/Tokyo"
    assert principal_from_claims({"sub": "li"}).time_zone == ""


def test_the_default_comes_from_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUSTOMER_DEFAULT_TIME_ZONE", raising=False)
    assert ViewerSettings.from_env().default_time_zone == "Asia/Shanghai"
    monkeypatch.setenv("CUSTOMER_DEFAULT_TIME_ZONE", "Europe/London")
    assert ViewerSettings.from_env().default_time_zone == "Europe/London"
    monkeypatch.setenv("CUSTOMER_DEFAULT_TIME_ZONE", "Nowhere/Land")
    with pytest.raises(ValueError, match="CUSTOMER_DEFAULT_TIME_ZONE"):
        ViewerSettings.from_env()
    assert known_zone("UTC") and not known_zone("")
