"""Personal data: its kinds, how each is masked, and who sees it in clear (pure).

A personal value is masked by what it *is*, not by the code path that returns it: the GraphQL
scalars of `crm_kit.personal_types` (``PhoneNumber``, ``EmailAddress``, …) call `shown_as`
for every value they serialise, whichever resolver produced it; exports and other outputs
call the same functions. A role sees a kind in clear when the access policy gives it the
kind's visibility (`crm_kit.policy.POLICY`); everything else gets the mask.

`scrub` is the last line for free text that leaves a process (error messages): it masks
anything shaped like a phone number, an e-mail address or an ID-card number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from crm_kit.auth import Principal
from crm_kit.policy import sees


def mask_id_card(number: str) -> str:
    """GB 11643: keep the 6-digit region and the last 4: ``110101********1234``."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """Hide the 4 digits before the last 4: ``138****5678`` (``+86138****5678`` in E.164),
    ``+8621****1234`` for a landline, ``40****3456`` for a 400 number. An extension after an
    ``x`` (``+862158881234x8001``) is hidden whole: the number's own last four stay shown."""
    number, mark, extension = phone.partition("x")
    masked = "*" * len(number) if len(number) < 8 else number[:-8] + "****" + number[-4:]
    return masked + mark + "*" * len(extension)


def mask_email(email: str) -> str:
    """Keep the first character of the local part and the domain: ``z***@example.com``."""
    local, at, domain = email.partition("@")
    if not at:
        return mask_text(email)
    return (local[:1] or "*") + "***@" + domain


def mask_text(value: str) -> str:
    """Names, streets, ids: the first character, then stars (``张**``)."""
    if not value:
        return value
    return value[:1] + "*" * max(2, len(value) - 1)


def shown(
    principal: Principal, name: str, value: str | None, masker: Any = mask_text
) -> str | None:
    """The value as the caller may see it."""
    if value is None or sees(principal, name):
        return value
    masked: str = masker(value)
    return masked


class PersonalKind(StrEnum):
    """A kind of personal data; the value is the field name the access policy rules on."""

    NAME = "name"
    PHONE = "phones"
    EMAIL = "emails"
    ID_CARD = "idCardNumber"
    ADDRESS = "address"
    WECHAT = "wechatId"
    BIRTHDAY = "birthday"


MASKED_BIRTHDAY = "****-**-**"


def _blank(_value: str) -> str:
    return ""


def _birthday(_value: str) -> str:
    return MASKED_BIRTHDAY


_MASKS: dict[PersonalKind, Callable[[str], str]] = {
    PersonalKind.NAME: mask_text,
    PersonalKind.PHONE: mask_phone,
    PersonalKind.EMAIL: mask_email,
    PersonalKind.ID_CARD: mask_id_card,
    PersonalKind.ADDRESS: _blank,  # a street or postal code says too much even in part
    PersonalKind.WECHAT: mask_text,
    PersonalKind.BIRTHDAY: _birthday,
}


def mask(kind: PersonalKind, value: str) -> str:
    """The masked form of a value of this kind (``138****5678``, ``张**``, ``****-**-**``)."""
    return _MASKS[kind](value) if value else value


@dataclass(frozen=True, slots=True)
class Disclosed:
    """A value in a personal-typed field that is not personal data (an enterprise's name in
    ``CustomerName``): shown in clear to everyone. The only way to opt a value out."""

    value: str


@dataclass(frozen=True, slots=True)
class Personal:
    """A personal value inside a structure whose type says nothing about it (a history change's
    JSON ``before``/``after``): masked where the structure is serialised."""

    kind: PersonalKind
    value: str


type Visibility = Callable[[PersonalKind], bool]


def nobody(_kind: PersonalKind) -> bool:
    """The visibility when no verified caller is known: every kind masked."""
    return False


def visibility_of(principal: Principal) -> Visibility:
    """Which kinds this caller sees in clear (decided once per kind per caller)."""
    clear = {kind for kind in PersonalKind if sees(principal, kind.value)}
    return clear.__contains__


def shown_as(visible: Visibility, kind: PersonalKind, value: str) -> str:
    return value if visible(kind) else mask(kind, value)


# --- free text ------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# ID-card numbers (17 digits and a check character) and runs of 10+ digits (mobile and
# landline numbers with their area code, with an optional + and separators); shorter numbers
# (counts, limits, byte sizes, years) stay readable.
_ID_CARD = re.compile(r"(?<![\w])\d{17}[\dXx](?![\w])")
_PHONE = re.compile(r"(?<![\w])\+?\d[\d -]{8,}\d(?![\w])")
MIN_PHONE_DIGITS = 10


def _mask_digits(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return text
    return mask_phone(digits)


def scrub(text: str) -> str:
    """Free text with every e-mail address, ID-card number and phone-like digit run masked."""
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    text = _ID_CARD.sub(lambda m: mask_id_card(m.group(0)), text)
    return _PHONE.sub(_mask_digits, text)


def scrub_extensions(extensions: dict[str, Any]) -> dict[str, Any]:
    """An error's extensions scrubbed: string values (an `id` echoes the caller's argument)
    and each of `fieldErrors` (the message, and the field path: a custom field's key is the
    caller's text)."""
    scrubbed = {k: scrub(v) if isinstance(v, str) else v for k, v in extensions.items()}
    field_errors = extensions.get("fieldErrors")
    if isinstance(field_errors, list):
        scrubbed["fieldErrors"] = [
            {
                k: scrub(v) if k in ("field", "message") and isinstance(v, str) else v
                for k, v in e.items()
            }
            if isinstance(e, dict)
            else e
            for e in field_errors
        ]
    return scrubbed
