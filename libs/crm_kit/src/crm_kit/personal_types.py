"""Personal data as GraphQL types: masked where a value is serialised, whatever produced it.

A field declared ``phones: list[PhoneNumber]`` is masked for a caller whose role may not see
phones on every path that returns it — a query, a mutation's payload, an ``_entities`` fetch,
a subscription event — because the mask is the scalar's serialiser, not a resolver's
courtesy. The caller's visibility is set for each operation by `PersonalDataViewer`, which
crm_kit's `Schema` installs in every subgraph; with none set, every personal value is masked
(fail closed).

Every personal scalar's description starts with ``Personal data (<kind>)``: clients, and the
schema-walking privacy test, find the personal fields of the composed API from the schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import date
from typing import Any, NewType

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types.scalar import ScalarDefinition

from crm_kit.auth import Principal
from crm_kit.personal import (
    Disclosed,
    Personal,
    PersonalKind,
    Visibility,
    nobody,
    shown_as,
    visibility_of,
)

_viewer: ContextVar[Visibility] = ContextVar("crm_personal_viewer", default=nobody)


def use_principal(principal: Principal | None) -> None:
    """Set the verified caller of this request (None: nobody, everything masked)."""
    _viewer.set(nobody if principal is None else visibility_of(principal))


class PersonalDataViewer(SchemaExtension):
    """Sets the operation's verified caller for the personal scalars. Runs for every query,
    mutation and subscription, in the task that serialises its result."""

    def on_operation(self) -> Iterator[None]:
        found = getattr(self.execution_context.context, "principal_or_error", None)
        use_principal(found if isinstance(found, Principal) else None)
        yield


def _shown(kind: PersonalKind, value: Any) -> Any:
    if isinstance(value, Disclosed):
        return value.value
    if isinstance(value, Personal):
        return shown_as(_viewer.get(), value.kind, value.value)
    if isinstance(value, date):
        value = value.isoformat()
    return shown_as(_viewer.get(), kind, str(value))


def _serializer(kind: PersonalKind) -> Callable[[Any], Any]:
    return lambda value: _shown(kind, value)


def _json_shown(value: Any) -> Any:
    """A JSON value with every `Personal` leaf masked as its kind requires."""
    if isinstance(value, Personal):
        return shown_as(_viewer.get(), value.kind, value.value)
    if isinstance(value, Disclosed):
        return value.value
    if isinstance(value, dict):
        return {k: _json_shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_shown(v) for v in value]
    return value


CustomerName = NewType("CustomerName", str)
PersonName = NewType("PersonName", str)
PhoneNumber = NewType("PhoneNumber", str)
EmailAddress = NewType("EmailAddress", str)
IdCardNumber = NewType("IdCardNumber", str)
StreetAddress = NewType("StreetAddress", str)
WeChatId = NewType("WeChatId", str)
Birthday = NewType("Birthday", date)
PersonalJSON = NewType("PersonalJSON", object)

_CLEAR = "seen in clear only by roles the access policy lets see"
# name, kind, what it is, how it looks masked
_SCALARS: tuple[tuple[Any, PersonalKind, str, str], ...] = (
    (
        CustomerName,
        PersonalKind.NAME,
        "A customer's name. An enterprise's name is public; an individual's name is "
        f"{_CLEAR} names",
        "first character and stars (`张**`)",
    ),
    (PersonName, PersonalKind.NAME, f"A natural person's name, {_CLEAR} names", "`张**`"),
    (
        PhoneNumber,
        PersonalKind.PHONE,
        f"A phone number (E.164, or a 400/800 number's 10 digits), {_CLEAR} phones",
        "`138****5678`",
    ),
    (
        EmailAddress,
        PersonalKind.EMAIL,
        f"An e-mail address, {_CLEAR} e-mails",
        "`z***@example.com`",
    ),
    (
        IdCardNumber,
        PersonalKind.ID_CARD,
        f"A GB 11643 resident ID-card number, {_CLEAR} identity numbers",
        "region and last four (`110101********1234`)",
    ),
    (
        StreetAddress,
        PersonalKind.ADDRESS,
        f"A street address or postal code, {_CLEAR} addresses",
        "an empty string",
    ),
    (WeChatId, PersonalKind.WECHAT, f"A WeChat id, {_CLEAR} WeChat ids", "`w********`"),
    (
        Birthday,
        PersonalKind.BIRTHDAY,
        f"A date of birth (ISO 8601 `YYYY-MM-DD`), {_CLEAR} birthdays",
        "`****-**-**`",
    ),
)


def _definition(name: str, kind: PersonalKind, what: str, masked: str) -> ScalarDefinition:
    return strawberry.scalar(
        name=name,
        description=f"Personal data ({kind.value}). {what}; masked as {masked} for others.",
        serialize=_serializer(kind),
        parse_value=str,
    )


SCALAR_MAP: Mapping[object, ScalarDefinition] = {
    **{
        new_type: _definition(new_type.__name__, kind, what, masked)
        for new_type, kind, what, masked in _SCALARS
    },
    PersonalJSON: strawberry.scalar(
        name="PersonalJSON",
        description="Personal data (any kind). A JSON value that may hold personal data: each "
        "personal part is masked for roles that may not see its kind, as its own type would be.",
        serialize=_json_shown,
        parse_value=lambda value: value,
    ),
}
