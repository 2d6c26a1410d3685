"""Signed download links (pure: the standard library only).

A link names one file a service serves and whom it is for. Its token is a compact JSON
payload and that payload's HMAC-SHA256, each base64url without padding, joined by a dot::

    <payload>.<signature>
    payload: {"e": expiry (Unix seconds), "g": the subject's roles, "k": file kind,
              "p": parameters (format, language, …), "r": resource id, "s": service,
              "u": the subject's staff id}

The MAC covers a version tag and the payload exactly as encoded, under the service's
`FILE_LINK_SECRET` (`crm_kit.settings.FileLinkSettings`). `verify` compares the signature in
constant time before it reads the payload, then checks the expiry: its result is the
`FileLink`, a `BadLink` (malformed, or a signature that does not match) or an `ExpiredLink`.
A token is a capability: log neither it nor a URL that carries it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, TypeGuard

from crm_kit.settings import FileLinkSettings

MAX_TOKEN_CHARS = 4096
_TAG = b"crm.file-link.v1:"
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class FileLink:
    """What a token grants: `kind` of file of `resource` at `service`, for `subject` (with the
    roles the subject had when the link was made), until `expires_at` (Unix seconds)."""

    service: str
    kind: str
    resource: str
    subject: str
    expires_at: int
    params: Mapping[str, str] = field(default_factory=dict)
    roles: tuple[str, ...] = ()

    @property
    def expires(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, UTC)


@dataclass(frozen=True, slots=True)
class BadLink:
    """Not a token of this secret: `malformed` (not two base64url parts, or no valid payload)
    or `signature` (the MAC does not match: tampered, or another secret)."""

    reason: Literal["malformed", "signature"]


@dataclass(frozen=True, slots=True)
class ExpiredLink:
    """A genuine token whose time is up."""

    link: FileLink


type Verified = FileLink | BadLink | ExpiredLink


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _payload(link: FileLink) -> bytes:
    doc = {
        "e": link.expires_at,
        "g": list(link.roles),
        "k": link.kind,
        "p": dict(link.params),
        "r": link.resource,
        "s": link.service,
        "u": link.subject,
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def _strings(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _link_of(doc: Any) -> FileLink | None:
    """The link a verified payload holds; None when it is not one."""
    if not isinstance(doc, dict):
        return None
    texts = [doc.get(k) for k in ("s", "k", "r", "u")]
    params, roles, expires = doc.get("p"), doc.get("g"), doc.get("e")
    if not all(isinstance(t, str) for t in texts) or not _strings(roles):
        return None
    if not isinstance(params, dict) or not _strings(list(params.values())):
        return None
    if not isinstance(expires, int) or isinstance(expires, bool):
        return None
    service, kind, resource, subject = (str(t) for t in texts)
    return FileLink(service, kind, resource, subject, expires, dict(params), tuple(roles))


class FileLinkSigner:
    """Issues, signs and verifies links with one secret; links live `ttl_seconds`."""

    def __init__(
        self, secret: str | bytes, ttl_seconds: int = 300, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = secret.encode() if isinstance(secret, str) else secret
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    @classmethod
    def of(cls, settings: FileLinkSettings) -> FileLinkSigner:
        return cls(settings.secret, settings.ttl_seconds)

    def issue(
        self,
        service: str,
        kind: str,
        resource: str,
        subject: str,
        *,
        params: Mapping[str, str] | None = None,
        roles: tuple[str, ...] = (),
    ) -> FileLink:
        """A link that expires `ttl_seconds` from now (sign it with `sign`)."""
        expires = int(self._clock()) + self.ttl_seconds
        return FileLink(service, kind, resource, subject, expires, dict(params or {}), roles)

    def sign(self, link: FileLink) -> str:
        """The token of `link` (any expiry, past ones too)."""
        payload = _encode(_payload(replace(link, roles=tuple(sorted(link.roles)))))
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str, now: float | None = None) -> Verified:
        """The link of a token of this secret, unless it is bad or expired (checked in that
        order: a tampered expired token is bad, not expired)."""
        payload, dot, signature = token.partition(".")
        if (
            not dot
            or len(token) > MAX_TOKEN_CHARS
            or not _SEGMENT.fullmatch(payload)
            or not _SEGMENT.fullmatch(signature)
        ):
            return BadLink("malformed")
        if not hmac.compare_digest(self._mac(payload), signature):
            return BadLink("signature")
        try:
            link = _link_of(json.loads(_decode(payload)))
        except ValueError:  # not base64 text of UTF-8 JSON (JSONDecodeError is a ValueError)
            link = None
        if link is None:
            return BadLink("malformed")
        if (self._clock() if now is None else now) >= link.expires_at:
            return ExpiredLink(link)
        return link

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, _TAG + payload.encode("ascii"), hashlib.sha256).digest()
        return _encode(digest)
