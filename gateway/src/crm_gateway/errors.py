"""GraphQL error objects produced or passed through by the gateway."""

from __future__ import annotations

import logging
from typing import Any

from crm_kit.personal import scrub, scrub_extensions

logger = logging.getLogger("crm_gateway")

INTERNAL = "INTERNAL_SERVER_ERROR"
# Extension keys that may carry internals (stack traces, exception details) and never pass.
_LEAKY_EXTENSIONS = frozenset({"exception", "stacktrace", "stackTrace", "trace", "debug"})

ErrorDict = dict[str, Any]
Path = list[str | int]


def gateway_error(
    message: str, code: str, path: Path | None = None, **extensions: Any
) -> ErrorDict:
    error: ErrorDict = {"message": message}
    if path is not None:
        error["path"] = path
    error["extensions"] = {"code": code, **extensions}
    return error


def upload_error(message: str, **extensions: Any) -> ErrorDict:
    """A refused file upload (GraphQL multipart request)."""
    return gateway_error(message, "BAD_USER_INPUT", **extensions)


def unavailable_error(subgraph: str, path: Path | None) -> ErrorDict:
    """The subgraph did not answer (down, timeout, circuit open): transient, so `retryable`
    (a write is safe to retry with the same idempotencyKey)."""
    return gateway_error(
        f"Subgraph '{subgraph}' is unavailable",
        INTERNAL,
        path,
        serviceName=subgraph,
        retryable=True,
    )


def subgraph_error(raw: Any, subgraph: str, request_id: str, path: Path | None) -> ErrorDict:
    """A subgraph's error as the client sees it: known codes pass with their extensions
    (`fieldErrors`, `conflictingId`, ...); anything else is masked to a message and a request
    id, keeping only the subgraph's `retryable: true` (a transient failure, such as the
    database being unreachable, that the client may retry)."""
    if not isinstance(raw, dict):
        raw = {"message": str(raw)}
    extensions = raw.get("extensions")
    extensions = dict(extensions) if isinstance(extensions, dict) else {}
    for key in _LEAKY_EXTENSIONS:
        extensions.pop(key, None)
    code = extensions.get("code")
    message = raw.get("message")
    if not isinstance(code, str) or not code or code == INTERNAL or not isinstance(message, str):
        logger.warning(
            "subgraph error masked",
            extra={
                "subgraph": subgraph,
                "request_id": request_id,
                "error": scrub(str(message)[:2000]),
            },
        )
        message = "Internal server error"
        retryable = extensions.get("retryable") is True
        extensions = {"code": INTERNAL, "requestId": request_id}
        if retryable:
            extensions["retryable"] = True
    extensions["serviceName"] = subgraph
    error: ErrorDict = {"message": scrub(message)}
    if path is not None:
        error["path"] = path
    error["extensions"] = scrub_extensions(extensions)
    return error
