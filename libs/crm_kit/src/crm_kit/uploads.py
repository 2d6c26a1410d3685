"""A size limit for multipart uploads, answered as a GraphQL error before anything is parsed."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _TooLarge(Exception):
    pass


class UploadLimit:
    """Caps multipart request bodies (uploads) at `max_bytes`: by Content-Length up front, and
    by counting the streamed bytes for chunked bodies. Answers 413 with a GraphQL error
    (`BAD_USER_INPUT`, fieldErrors `file`/`FILE_TOO_LARGE`) before anything is parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if scope["type"] != "http" or not content_type.startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        text = f"The upload is larger than {self.max_bytes} bytes"
        error = {
            "message": text,
            "extensions": {
                "code": "BAD_USER_INPUT",
                "maxBytes": self.max_bytes,
                "fieldErrors": [{"field": "file", "code": "FILE_TOO_LARGE", "message": text}],
            },
        }
        response = JSONResponse({"data": None, "errors": [error]}, status_code=413)
        await response(scope, receive, send)
