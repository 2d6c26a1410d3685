"""The customer's contact email, fetched from the customer subgraph at the moment a
customer-facing email is sent — never stored here (events carry no personal data; the
delivery log keeps only the masked recipient).

The call is service-to-service: `_entities` on the customer subgraph (the same contract the
gateway uses) with a short-lived service token. In development the token is signed with the
shared HS256 secret; in production (JWKS, RS256) the service presents a token issued to it by
the identity provider, read from `SERVICE_TOKEN_FILE` on every call so it can be rotated.
A self-signed development token is reused until shortly before it expires.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from crm_kit.auth import issue_dev_token
from crm_notification.deliveries.model import DeliveryError

SERVICE_SUBJECT = "svc-notification"
SERVICE_ROLES = ["ADMIN"]  # the customer subgraph shows contact data to ADMIN only
TOKEN_TTL_SECONDS = 120
TOKEN_REFRESH_MARGIN_SECONDS = 30  # a cached token is replaced this long before it expires
QUERY = """
query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id emails } } }
"""


class ServiceToken:
    def __init__(
        self, *, secret: str = "", token_file: str = "", issuer: str = "", audience: str = ""
    ) -> None:
        self._secret = secret
        self._file = token_file
        self._issuer = issuer
        self._audience = audience
        self._cached: tuple[float, str] | None = None  # (monotonic refresh time, token)

    def __call__(self) -> str:
        if self._file:
            return Path(self._file).read_text(encoding="utf-8").strip()
        now = time.monotonic()
        if self._cached is not None and now < self._cached[0]:
            return self._cached[1]
        token = issue_dev_token(
            self._secret,
            sub=SERVICE_SUBJECT,
            roles=SERVICE_ROLES,
            name="notification service",
            ttl_seconds=TOKEN_TTL_SECONDS,
            issuer=self._issuer,
            audience=self._audience,
        )
        self._cached = (now + TOKEN_TTL_SECONDS - TOKEN_REFRESH_MARGIN_SECONDS, token)
        return token


class CustomerContacts:
    def __init__(
        self, url: str, token: ServiceToken, http: httpx.AsyncClient, timeout: float = 5.0
    ) -> None:
        self._url = url
        self._token = token
        self._http = http
        self._timeout = timeout

    async def email(self, customer_id: str) -> str | None:
        """The customer's first email address; None when it has none. Transient failures raise
        a retryable DeliveryError, an unknown customer a permanent one."""
        try:
            response = await self._http.post(
                self._url,
                json={
                    "query": QUERY,
                    "variables": {"r": [{"__typename": "Customer", "id": customer_id}]},
                },
                headers={"Authorization": f"Bearer {self._token()}"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"customer service unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise DeliveryError(f"customer service answered HTTP {response.status_code}")
        body: dict[str, Any] = response.json()
        errors = body.get("errors") or []
        if errors:
            code = str((errors[0].get("extensions") or {}).get("code") or "ERROR")
            permanent = code in ("NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED")
            raise DeliveryError(f"customer service: {code}", permanent=permanent)
        entities = (body.get("data") or {}).get("_entities") or [None]
        found = entities[0]
        if found is None:
            raise DeliveryError("customer not found", permanent=True)
        emails = [e for e in found.get("emails") or [] if e]
        return str(emails[0]) if emails else None
