"""Errors in the caller's language, on the way in and out of a subgraph.

`LanguageMiddleware` (pure ASGI, so it runs in the resolvers' task) sets
`crm_kit.i18n.language_var` from the request's Accept-Language header; every service app has it
(`crm_kit.service`). `LocaliseErrors` rewrites the messages of the masked errors in that
language from the schema's catalogue; `crm_kit.graphql.Schema` installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from graphql import GraphQLError
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from crm_kit.errors import CrmError, ErrorCode
from crm_kit.i18n import COMMON, ZH, Catalog, language_var, parse_accept_language


class LanguageMiddleware:
    """Sets `language_var` from the request's Accept-Language header (zh-CN without one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            language_var.set(_language(scope))
        await self.app(scope, receive, send)


def _language(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            return parse_accept_language(value.decode("latin-1"))
    return ZH


class LocaliseErrors(SchemaExtension):
    """Rewrites error messages in the caller's language. Listed before ErrorMasking, so its
    exit runs after the masking: it sees the masked errors, each with its CrmError (if any)
    as `original_error`."""

    catalog: ClassVar[Catalog] = COMMON

    @classmethod
    def using(cls, catalog: Catalog) -> type[LocaliseErrors]:
        """The extension for a service's catalogue."""
        return type("LocaliseErrors", (cls,), {"catalog": catalog})

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        lang = language_var.get()
        result.errors = [localised(e, self.catalog, lang) for e in result.errors]


def localised(error: GraphQLError, catalog: Catalog, lang: str) -> GraphQLError:
    """`error` with its message and field-error messages in `lang`. Only typed errors and
    masked internal errors change their top-level message: a parse or validation message is
    about the client's document and stays as graphql-core wrote it."""
    extensions = dict(error.extensions or {})
    original = error.original_error
    message = error.message
    if isinstance(original, CrmError):
        message = catalog.error_message(message, extensions, lang, original.message_key)
    elif extensions.get("code") == ErrorCode.INTERNAL_SERVER_ERROR and "requestId" in extensions:
        message = catalog.internal_message(message, extensions, lang)
    extensions = catalog.field_errors(extensions, lang)
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )
