"""The caller's language on the way in and out of the subgraph (web code).

`LanguageMiddleware` (pure ASGI, same task as the resolver) sets `crm_customer.i18n.language_var`
from the request's Accept-Language header; `LocaliseErrors` rewrites the messages of field
errors in that language, after crm_kit's error masking.
"""

from __future__ import annotations

from collections.abc import Iterator

from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from crm_customer.i18n import ZH, language_var, localise_extensions, parse_accept_language


class LanguageMiddleware:
    """Sets `language_var` from the request's Accept-Language header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            for name, value in scope.get("headers", []):
                if name == b"accept-language":
                    language_var.set(parse_accept_language(value.decode("latin-1")))
                    break
            else:
                language_var.set(ZH)
        await self.app(scope, receive, send)


class LocaliseErrors(SchemaExtension):
    """Runs after error masking: rewrites fieldErrors messages in the caller's language."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        lang = language_var.get()
        for error in result.errors:
            if error.extensions and "fieldErrors" in error.extensions:
                error.extensions = localise_extensions(dict(error.extensions), lang)
