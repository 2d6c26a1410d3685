"""File uploads: the GraphQL multipart request spec (jaydenseric/graphql-multipart-request-spec).

A client POSTs `multipart/form-data` with the parts `operations` (the GraphQL request as JSON,
files as `null` in its variables), `map` (file part name -> the variable paths it fills, e.g.
`{"0": ["variables.file"]}`) and the files. The gateway reads the whole body within
`GATEWAY_MAX_UPLOAD_BYTES` and `GATEWAY_MAX_UPLOAD_FILES`, and runs the operation with the
files held in memory. The operation must be a mutation whose fetches using upload variables
all go to one subgraph as root fields; those fetches are sent as a new multipart request
(the subgraph's operation, only the files its variables use), everything else as JSON.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from crm_gateway.edge.body import BodyTooLarge, read_body
from crm_gateway.errors import ErrorDict, gateway_error, upload_error
from crm_gateway.transport.files import UploadedFile, Uploads, set_path

UPLOAD_MARKER = "<upload>"  # stands for a file in the variables while the gateway validates


class UploadError(Exception):
    def __init__(self, error: ErrorDict, status: int = 400) -> None:
        super().__init__(error["message"])
        self.error = error
        self.status = status


def is_multipart(request: Request) -> bool:
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    return request.method == "POST" and content_type == b"multipart/form-data"


async def read_multipart(
    request: Request, *, max_bytes: int, max_files: int, max_field_bytes: int
) -> tuple[dict[str, Any], Uploads]:
    """The operation (files replaced by a marker in its variables) and the uploaded files."""
    try:
        body = await read_body(request, max_bytes)
    except BodyTooLarge as exc:
        raise UploadError(_too_large(exc), 413) from exc

    async def replay() -> AsyncGenerator[bytes]:
        yield body

    parser = MultiPartParser(
        request.headers,
        replay(),
        max_files=max_files,
        max_fields=max_files + 2,
        max_part_size=max_field_bytes,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise UploadError(upload_error(f"Invalid multipart request: {exc.message}")) from exc
    try:
        operations, variables, mapping = _operation(form)
        uploads = Uploads()
        for name, paths in mapping.items():
            part = form.get(name)
            if not isinstance(part, UploadFile):
                raise UploadError(upload_error(f"The map names file {name!r}, which was not sent"))
            if not isinstance(paths, list) or not paths:
                raise UploadError(upload_error(f"map[{name!r}] must be a non-empty list"))
            uploads.paths[name] = [_variable_path(variables, path) for path in paths]
            uploads.files[name] = UploadedFile(
                part.filename or name,
                part.content_type or "application/octet-stream",
                await part.read(),
            )
        for path_list in uploads.paths.values():
            for path in path_list:
                set_path(variables, path, UPLOAD_MARKER)
        return operations, uploads
    finally:
        await form.close()


def _operation(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The `operations` (one operation, not a batch), its variables and the `map`."""
    operations = _json_field(form.get("operations"), "operations")
    mapping = _json_field(form.get("map"), "map")
    if isinstance(operations, list):
        raise UploadError(upload_error("Batched operations cannot carry files"))
    if not isinstance(operations, dict):
        raise UploadError(upload_error("'operations' must be a JSON object"))
    if not isinstance(mapping, dict):
        raise UploadError(upload_error("'map' must be a JSON object"))
    variables = operations.get("variables")
    if variables is None:
        variables = operations["variables"] = {}
    if not isinstance(variables, dict):
        raise UploadError(upload_error("'variables' must be an object"))
    return operations, variables, mapping


def _json_field(value: Any, name: str) -> Any:
    if not isinstance(value, str):
        raise UploadError(upload_error(f"The multipart request has no '{name}' field"))
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise UploadError(upload_error(f"'{name}' is not valid JSON")) from exc


def _variable_path(variables: dict[str, Any], raw: Any) -> list[str | int]:
    """`"variables.files.1"` -> `["files", 1]`, checked against the operation's variables:
    the spec puts `null` where each file goes."""
    if not isinstance(raw, str) or not raw.startswith("variables."):
        raise UploadError(upload_error(f"Map path {raw!r} must start with 'variables.'"))
    path: list[str | int] = []
    current: Any = variables
    for segment in raw.split(".")[1:]:
        if isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            path.append(int(segment))
            current = current[int(segment)]
        elif isinstance(current, dict) and segment in current:
            path.append(segment)
            current = current[segment]
        else:
            raise UploadError(upload_error(f"Map path {raw!r} is not in the variables"))
    if not path or current is not None:
        raise UploadError(upload_error(f"Map path {raw!r} must point at a null variable value"))
    return path


def _too_large(exc: BodyTooLarge) -> ErrorDict:
    return gateway_error(
        f"The upload is larger than {exc.maximum} bytes",
        "BAD_USER_INPUT",
        limit="uploadSize",
        maximum=exc.maximum,
        actual=exc.actual,
    )
