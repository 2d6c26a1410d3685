"""JWT verification and the authenticated principal.

Dev tokens are HS256 with a local secret; production verifies RS256/ES256 against a JWKS URL.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

from crm_kit.errors import Forbidden, Unauthenticated
from crm_kit.settings import AuthSettings

MAX_ZONE_CHARS = 64  # longer than any IANA time zone name


class Role(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    SALES = "SALES"
    SERVICE = "SERVICE"
    ANALYST = "ANALYST"


@dataclass(frozen=True, slots=True)
class Principal:
    sub: str
    name: str
    roles: frozenset[Role]
    team: str
    token: str = ""
    # The `zoneinfo` claim (OpenID Connect: an IANA name) as the token has it, unchecked;
    # "" when absent. Whoever uses it falls back to a default for an unknown zone.
    time_zone: str = ""

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def require_role(self, *roles: Role) -> None:
        if not self.has_role(*roles):
            allowed = ", ".join(sorted(roles))
            raise Forbidden(f"This action needs one of the roles: {allowed}")


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("Missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be 'Bearer <token>'")
    return token.strip()


class TokenVerifier:
    """Verifies a JWT and turns its claims into a Principal."""

    def __init__(self, settings: AuthSettings) -> None:
        self._settings = settings
        self._jwks = (
            # The key *set* is cached (lifespan) and refetched on an unknown key id; single
            # keys are not memoised, so a key removed from the JWKS stops verifying.
            jwt.PyJWKClient(settings.jwks_url, cache_keys=False, lifespan=300)
            if settings.jwks_url
            else None
        )

    async def verify(self, token: str) -> Principal:
        key: Any
        if self._jwks is not None:
            try:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            except jwt.PyJWTError as exc:
                raise Unauthenticated("Token signing key could not be resolved") from exc
            key = signing_key.key
        else:
            key = self._settings.jwt_secret
        return self._decode(token, key)

    def verify_sync_hs(self, token: str) -> Principal:
        return self._decode(token, self._settings.jwt_secret)

    def _decode(self, token: str, key: Any) -> Principal:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(self._settings.algorithms),
                audience=self._settings.audience or None,
                issuer=self._settings.issuer or None,
                leeway=self._settings.leeway_seconds,
                options={"require": ["sub", "exp"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("Token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("Token is invalid") from exc
        return principal_from_claims(claims, token)


def principal_from_claims(claims: dict[str, Any], token: str = "") -> Principal:
    raw_roles = claims.get("roles") or []
    if isinstance(raw_roles, str):
        raw_roles = [raw_roles]
    roles = frozenset(Role(r) for r in raw_roles if r in Role.__members__)
    sub = str(claims.get("sub") or "")
    if not sub:
        raise Unauthenticated("Token has no subject")
    return Principal(
        sub=sub,
        name=str(claims.get("name") or sub),
        roles=roles,
        team=str(claims.get("team") or ""),
        token=token,
        time_zone=str(claims.get("zoneinfo") or "")[:MAX_ZONE_CHARS],
    )


def issue_dev_token(
    secret: str,
    *,
    sub: str,
    roles: list[str],
    team: str = "",
    name: str = "",
    ttl_seconds: int = 12 * 3600,
    issuer: str = "",
    audience: str = "",
    time_zone: str = "",
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "name": name or sub,
        "roles": roles,
        "team": team,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    if time_zone:
        claims["zoneinfo"] = time_zone
    return jwt.encode(claims, secret, algorithm="HS256")
