"""Reading a GraphQL-over-HTTP request: the operations (a JSON object, a JSON array as a batch,
`application/graphql`, GET parameters, or a multipart upload) within the size limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from crm_gateway.edge.body import BodyTooLarge, read_body
from crm_gateway.edge.uploads import UploadError, read_multipart
from crm_gateway.errors import ErrorDict, gateway_error
from crm_gateway.settings import GatewaySettings
from crm_gateway.transport.files import Uploads

JSON = "application/json"


class Refused(Exception):
    """The request is answered without running anything."""

    def __init__(
        self, error: ErrorDict, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error["message"])
        self.error = error
        self.status = status
        self.headers = headers or {}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


@dataclass(slots=True)
class Operations:
    """The operations of one request: several when it is a batch (a JSON array)."""

    items: list[Any]
    batch: bool
    uploads: Uploads | None = None


class RequestReader:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings

    async def multipart(self, request: Request) -> Operations:
        """A file upload (read only after the caller has authenticated the request)."""
        settings = self.settings
        try:
            params, uploads = await read_multipart(
                request,
                max_bytes=settings.max_upload_bytes,
                max_files=settings.max_upload_files,
                max_field_bytes=settings.max_request_bytes,
            )
        except UploadError as exc:
            raise Refused(exc.error, exc.status) from exc
        return Operations([params], batch=False, uploads=uploads)

    async def operations(self, request: Request) -> Operations:
        try:
            params = await self._params(request)
        except (ValueError, UnicodeDecodeError) as exc:
            message = "The request body is not valid GraphQL-over-HTTP JSON"
            raise Refused(gateway_error(message, "BAD_REQUEST")) from exc
        if not isinstance(params, list):
            return Operations([params], batch=False)
        maximum = self.settings.max_batch
        if not 0 < len(params) <= maximum:
            error = gateway_error(
                f"A batch holds 1 to {maximum} operations",
                "BAD_REQUEST",
                limit="batch",
                maximum=maximum,
                actual=len(params),
            )
            raise Refused(error)
        return Operations(params, batch=True)

    async def _params(self, request: Request) -> dict[str, Any] | list[Any]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                if params.get(name):
                    params[name] = orjson.loads(params[name])
            return params
        try:
            body = await read_body(request, self.settings.max_request_bytes)
        except BodyTooLarge as exc:
            raise Refused(_too_large(exc), 413) from exc
        content_type = request.headers.get("content-type", "")
        if "application/graphql" in content_type and "json" not in content_type:
            return {"query": body.decode("utf-8")}
        parsed = orjson.loads(body)
        if not isinstance(parsed, dict | list):
            raise ValueError("the request body must be a JSON object or array")
        return parsed


def _too_large(exc: BodyTooLarge) -> ErrorDict:
    return gateway_error(
        f"The request body is larger than {exc.maximum} bytes",
        "BAD_REQUEST",
        limit="requestSize",
        maximum=exc.maximum,
        actual=exc.actual,
    )
