"""What the import APIs of every service share: the uploaded file read within its limit
(GraphQL multipart request), the upload's idempotency key checked, and the service's own
GraphQL enums of the shared ones. The GraphQL types stay with each service (their names and
descriptions are the service's)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from strawberry.file_uploads import Upload

from crm_kit.errors import BadUserInput
from crm_kit.graphql import described_enum
from crm_kit.imports.tables import file_problem

UPLOAD_KEY_MAX_CHARS = 200


def check_upload_key(idempotency_key: str | None) -> None:
    """BAD_USER_INPUT `idempotencyKey` TOO_LONG unless absent or 1–200 characters."""
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= UPLOAD_KEY_MAX_CHARS:
        raise BadUserInput.single("idempotencyKey", "TOO_LONG", "1 to 200 characters")


def upload_name(file: Upload) -> str:
    """The uploaded file's name as the client gave it ('' for none)."""
    return str(getattr(file, "filename", "") or "")


async def read_upload(file: Upload, max_bytes: int) -> bytes:
    """The upload's bytes; BAD_USER_INPUT `file` REQUIRED (no file part) or FILE_TOO_LARGE."""
    read = getattr(file, "read", None)
    if read is None:
        raise BadUserInput.single("file", "REQUIRED", "A file upload is required")
    data = await read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise BadUserInput.single("file", "REQUIRED", "A file upload is required")
    if len(data) > max_bytes:
        raise file_problem("FILE_TOO_LARGE", f"At most {max_bytes} bytes")
    return data


def service_enum(
    enum: type[StrEnum], name: str, description: str, values: Mapping[str, str]
) -> type[StrEnum]:
    """A described GraphQL enum `name` with the members of a shared enum (`ImportMode`,
    `JobStatus`, `FileFormat`). Strawberry keeps an enum's GraphQL name and descriptions on
    the enum class, so each service that shows a shared enum shows a class of its own: the
    names of one service never leak into another's schema. Its members are strings equal to
    the shared enum's (`ImportMode(member)` converts)."""
    copy = StrEnum(name, [(m.name, m.value) for m in enum])  # type: ignore[misc]
    return described_enum(copy, description, values, name=name)
