"""Reading a request body within a size limit (JSON requests and multipart uploads)."""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(Exception):
    def __init__(self, actual: int, maximum: int) -> None:
        super().__init__(f"request body larger than {maximum} bytes")
        self.actual = actual
        self.maximum = maximum


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body; BodyTooLarge (`max_bytes` > 0) as soon as the declared length or the
    bytes received so far are over the limit, so an oversized body is not read to its end."""
    declared = request.headers.get("content-length")
    if max_bytes > 0 and declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(int(declared), max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if max_bytes > 0 and len(body) > max_bytes:
            raise BodyTooLarge(len(body), max_bytes)
    return bytes(body)
