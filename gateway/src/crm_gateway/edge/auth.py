"""Token verification at the edge: crm_kit's TokenVerifier with gateway-grade JWKS handling.

For JWKS (RS256/ES256) the key set is cached for `lifespan` seconds and fetched again when a
token names an unknown `kid` (at most once per `refresh_cooldown` seconds, so random kids
cannot make the gateway hammer the issuer). Keys are looked up in the current set on every
verification: a key the issuer retires stops verifying as soon as the set is refreshed (a
per-kid key cache would keep accepting it until restart).
"""

from __future__ import annotations

import jwt

from crm_kit.auth import TokenVerifier
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
