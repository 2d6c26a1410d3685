"""Typed errors that reach clients as GraphQL errors with `extensions.code`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class CrmError(Exception):
    """Base class: the message is safe to show to a client.

    The message is English; clients get it in their language from the service's catalogue
    (`crm_kit.i18n`): the entry that `message_key` names, else the generic text of the code.
    """

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, *, message_key: str | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.message_key = message_key
        self.extensions: dict[str, Any] = {"code": str(self.code), **extensions}


class Unauthenticated(CrmError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(CrmError):
    code = ErrorCode.FORBIDDEN


class NotFound(CrmError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id} not found", kind=kind, id=id)


class Conflict(CrmError):
    code = ErrorCode.CONFLICT

    def __init__(self, message: str, *, conflicting_id: str, **extensions: Any) -> None:
        super().__init__(message, conflictingId=conflicting_id, **extensions)


class BadUserInput(CrmError):
    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, field_errors: list[FieldError], message: str = "Invalid input") -> None:
        super().__init__(message, fieldErrors=[e.as_dict() for e in field_errors])
        self.field_errors = field_errors

    @classmethod
    def single(cls, field: str, code: str, message: str) -> BadUserInput:
        return cls([FieldError(field, code, message)], message)


class RateLimited(CrmError):
    code = ErrorCode.RATE_LIMITED
