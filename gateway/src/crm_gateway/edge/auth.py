"""Token verification at the edge: crm_kit's TokenVerifier with gateway-grade JWKS handling.

For JWKS (RS256/ES256) the key set is cached for `lifespan` seconds and fetched again when a
token names an unknown `kid` (at most once per `refresh_cooldown` seconds, so random kids
cannot make the gateway hammer the issuer). Keys are looked up in the current set on every
verification: a key the issuer retires stops verifying as soon as the set is refreshed (a
per-kid key cache would keep accepting it until restart).
"""

from __future__ import annotations

import jwt
from starlette.requests import Request

from crm_gateway.edge.requests import Refused
from crm_gateway.errors import gateway_error
from crm_kit.auth import Principal, TokenVerifier, bearer_token
from crm_kit.errors import Unauthenticated
from crm_kit.settings import AuthSettings


class EdgeTokenVerifier(TokenVerifier):
    def __init__(
        self, settings: AuthSettings, *, refresh_cooldown: float = 5.0, lifespan: float = 300
    ) -> None:
        super().__init__(settings)
        if settings.jwks_url:
            self._jwks = jwt.PyJWKClient(
                settings.jwks_url,
                cache_keys=False,
                cache_jwk_set=True,
                lifespan=lifespan,
                cooldown_duration=refresh_cooldown,
            )


class Authenticator:
    """The `Authorization: Bearer <JWT>` of a `/graphql` request. A missing or invalid token
    is answered with HTTP 401, `WWW-Authenticate: Bearer` (RFC 6750; `error="invalid_token"`
    when a token was sent) and an `UNAUTHENTICATED` error: the request never ran, and HTTP
    clients, proxies and monitoring see the refusal without parsing the body."""

    def __init__(self, verifier: TokenVerifier, *, required: bool) -> None:
        self.verifier = verifier
        self.required = required

    async def authenticate(self, request: Request) -> Principal | None:
        authorization = request.headers.get("authorization")
        if not self.required and not authorization:
            return None
        try:
            return await self.verifier.verify(bearer_token(authorization))
        except Unauthenticated as exc:
            challenge = 'Bearer error="invalid_token"' if authorization else "Bearer"
            error = gateway_error(exc.message, "UNAUTHENTICATED")
            raise Refused(error, 401, {"www-authenticate": challenge}) from exc
