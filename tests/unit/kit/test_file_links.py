"""Signed download links (crm_kit.file_links) and their settings: sign, verify, tampering,
expiry, and the production check of FILE_LINK_SECRET."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest

from crm_kit.file_links import BadLink, ExpiredLink, FileLink, FileLinkSigner
from crm_kit.settings import (
    DEFAULT_DEV_FILE_LINK_SECRET,
    FileLinkSettings,
    InsecureConfiguration,
)

SECRET = "k" * 40
NOW = 1_800_000_000.0


def signer(secret: str = SECRET, ttl: int = 300) -> FileLinkSigner:
    return FileLinkSigner(secret, ttl, clock=lambda: NOW)


def a_link(s: FileLinkSigner) -> FileLink:
    return s.issue(
        "customer",
        "errors",
        "job-1",
        "alice",
        params={"format": "CSV", "language": "中文"},
        roles=("SALES", "ADMIN"),
    )


def test_a_signed_link_verifies_to_what_was_signed() -> None:
    s = signer()
    link = a_link(s)
    assert link.expires_at == int(NOW) + 300
    token = s.sign(link)
    assert s.verify(token, NOW + 299) == replace(link, roles=("ADMIN", "SALES"))
    assert link.expires.isoformat() == "2027-01-15T08:05:00+00:00"
    payload, signature = token.split(".")
    assert "=" not in token and len(signature) == 43  # base64url of 32 bytes, unpadded
    doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert doc == {
        "e": link.expires_at,
        "g": ["ADMIN", "SALES"],
        "k": "errors",
        "p": {"format": "CSV", "language": "中文"},
        "r": "job-1",
        "s": "customer",
        "u": "alice",
    }


def test_a_link_without_parameters_or_roles_round_trips() -> None:
    s = signer()
    link = s.issue("customer", "template", "", "bob")
    assert s.verify(s.sign(link)) == link


def test_an_expired_link_is_told_apart_from_a_bad_one() -> None:
    s = signer()
    link = a_link(s)
    token = s.sign(link)
    assert s.verify(token, link.expires_at) == ExpiredLink(replace(link, roles=("ADMIN", "SALES")))
    past = replace(link, expires_at=int(NOW) - 1)
    assert isinstance(s.verify(s.sign(past)), ExpiredLink)  # the clock, when no `now`


def _flip(text: str, at: int) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


def test_a_tampered_token_is_a_bad_signature() -> None:
    s = signer()
    token = s.sign(a_link(s))
    payload, signature = token.split(".")
    assert s.verify(f"{_flip(payload, 5)}.{signature}") == BadLink("signature")
    assert s.verify(f"{payload}.{_flip(signature, 0)}") == BadLink("signature")
    # a payload rewritten to another subject or a later expiry, signature kept
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for change in ({"u": "mallory"}, {"e": forged["e"] + 3600}, {"r": "job-2"}):
        body = json.dumps({**forged, **change}, separators=(",", ":")).encode()
        text = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        assert s.verify(f"{text}.{signature}") == BadLink("signature")
    # expired and tampered: bad, not expired
    assert s.verify(f"{_flip(payload, 5)}.{signature}", NOW + 10_000) == BadLink("signature")


def test_another_secret_does_not_verify() -> None:
    token = signer().sign(a_link(signer()))
    assert signer("x" * 40).verify(token) == BadLink("signature")


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b.c", ".sig", "payload.", "pay load.sig", "pa+d.sig", "x" * 5000 + ".y"],
)
def test_malformed_tokens_are_bad(token: str) -> None:
    assert signer().verify(token) == BadLink("malformed")


def test_a_signed_payload_that_is_not_a_link_is_malformed() -> None:
    s = signer()
    for body in (b"[]", b"not json", b'{"s":"customer"}', b'{"e":true}'):
        payload = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        token = f"{payload}.{s._mac(payload)}"
        assert s.verify(token) == BadLink("malformed"), body


def test_settings_default_to_the_development_secret_and_five_minutes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("FILE_LINK_SECRET", "FILE_LINK_SECRET_FILE", "FILE_LINK_TTL_SECONDS", "CRM_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = FileLinkSettings.from_env()
    assert (settings.secret, settings.ttl_seconds) == (DEFAULT_DEV_FILE_LINK_SECRET, 300)
    assert DEFAULT_DEV_FILE_LINK_SECRET not in repr(settings)
    assert FileLinkSigner.of(settings).ttl_seconds == 300


def test_settings_read_the_secret_file_and_bound_the_lifetime(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "secret"
    path.write_text("f" * 48 + "\n", encoding="utf-8")
    monkeypatch.setenv("FILE_LINK_SECRET_FILE", str(path))
    monkeypatch.setenv("FILE_LINK_TTL_SECONDS", "30")
    settings = FileLinkSettings.from_env()
    assert (settings.secret, settings.ttl_seconds) == ("f" * 48, 30)
    for ttl in ("29", "3601"):
        monkeypatch.setenv("FILE_LINK_TTL_SECONDS", ttl)
        with pytest.raises(ValueError, match="FILE_LINK_TTL_SECONDS must be 30 to 3600"):
            FileLinkSettings.from_env()


def test_production_refuses_the_development_secret_and_a_short_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("FILE_LINK_SECRET", "FILE_LINK_SECRET_FILE", "FILE_LINK_TTL_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRM_ENV", "production")
    with pytest.raises(InsecureConfiguration, match="FILE_LINK_SECRET is the development") as no:
        FileLinkSettings.from_env()
    assert DEFAULT_DEV_FILE_LINK_SECRET not in str(no.value)  # names, never values
    monkeypatch.setenv("FILE_LINK_SECRET", "s" * 31)
    with pytest.raises(InsecureConfiguration, match="shorter than 32 bytes") as short:
        FileLinkSettings.from_env()
    assert "s" * 31 not in str(short.value)
    monkeypatch.setenv("FILE_LINK_SECRET", "s" * 32)
    assert FileLinkSettings.from_env().production_problems() == []
    assert FileLinkSettings.from_env(check=False).secret == "s" * 32
