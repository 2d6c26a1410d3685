"""Free-text search terms: one array of normalised tokens per customer, one multikey index.

Documents store ``search_terms``; a query is tokenised the same way and must match all its
tokens (``$all``), so search is an index lookup on a real MongoDB at any size. Tokens:
lowercase latin words and their prefixes, Chinese characters and character bigrams (substring
search for Chinese), pinyin (full and initials, e.g. 张伟 → ``zhangwei``, ``zw``), phone
digits with prefixes and suffixes, email addresses, local parts and domains. Phone and email
tokens are personal data: they go through `seal` (the data protector's keyed HMAC) both when
stored and when queried, so the stored list holds no phone number or address in plaintext.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum

from pypinyin import Style, lazy_pinyin

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")
MIN_PREFIX = 2
MAX_PREFIX = 12
MIN_SUFFIX = 4


def _latin(text: str) -> set[str]:
    terms: set[str] = set()
    for word in _WORD.findall(text.lower()):
        terms.add(word)
        terms.update(word[:n] for n in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1))
    return terms


def _chinese(text: str) -> set[str]:
    terms: set[str] = set()
    for run in _CJK.findall(text):
        terms.update(run)
        terms.update(run[i : i + 2] for i in range(len(run) - 1))
        full = "".join(lazy_pinyin(run))
        initials = "".join(lazy_pinyin(run, style=Style.FIRST_LETTER))
        terms |= _latin(full) | _latin(initials)
    return terms


def _phone(e164: str) -> set[str]:
    digits = e164.lstrip("+")
    national = digits[2:] if digits.startswith("86") else digits
    terms = {digits, national}
    terms.update(national[:n] for n in range(3, len(national)))
    terms.update(national[-n:] for n in range(MIN_SUFFIX, len(national)))
    return terms


def _email(email: str) -> set[str]:
    local, _, domain = email.partition("@")
    return {email, local, domain} | _latin(local)


def name_terms(text: str) -> set[str]:
    return _latin(text) | _chinese(text)


type Seal = Callable[[str], str]


def unsealed(term: str) -> str:
    """No sealing: for tests of the tokeniser only (stored tokens are always sealed)."""
    return term


def customer_terms(
    names: Iterable[str], phones: Iterable[str], emails: Iterable[str], seal: Seal = unsealed
) -> list[str]:
    """Tokens of a customer; phone and email tokens sealed (pass the protector's search_token:
    `unsealed` is for tests of the tokeniser only)."""
    terms: set[str] = set()
    for name in names:
        terms |= name_terms(name)
    sensitive: set[str] = set()
    for phone in phones:
        sensitive |= _phone(phone)
    for email in emails:
        sensitive |= _email(email.lower())
    terms |= {seal(t) for t in sensitive if t}
    return sorted(t for t in terms if t)


class QueryKind(StrEnum):
    """What a free-text query searches: an e-mail address, phone digits, or name words."""

    EMAIL = "EMAIL"
    PHONE = "PHONE"
    WORDS = "WORDS"


def _phone_digits(text: str) -> str | None:
    digits = re.sub(r"[\s\-+()]", "", text)
    return digits if digits.isdigit() and len(digits) >= 3 else None


def query_kind(query: str) -> QueryKind:
    text = query.strip().lower()
    if "@" in text and " " not in text:
        return QueryKind.EMAIL
    return QueryKind.PHONE if _phone_digits(text) else QueryKind.WORDS


def query_terms(query: str, seal: Seal = unsealed) -> list[str]:
    """The tokens a free-text query must all match; [] when it has nothing searchable.
    A phone or email query is sealed the way `customer_terms` sealed the stored tokens."""
    text = query.strip().lower()
    terms: set[str] = set()
    kind = query_kind(text)
    if kind is QueryKind.EMAIL:
        return [seal(text)]
    digits = _phone_digits(text)
    if kind is QueryKind.PHONE and digits:
        return [seal(digits[2:] if digits.startswith("86") and len(digits) == 13 else digits)]
    for run in _CJK.findall(text):
        if len(run) == 1:
            terms.add(run)
        else:
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(text):
        terms.add(word[:MAX_PREFIX] if len(word) > MAX_PREFIX else word)
    return sorted(terms)
