"""Free-text search terms: one array of normalised tokens per customer, one multikey index.

Documents store ``search_terms``; a query is tokenised the same way and must match all its
tokens (``$all``), so search is an index lookup on a real MongoDB at any size. A query word
matches as a prefix, whatever its length (``Anna T`` finds Anna Tan). Tokens:

- lowercase latin words and their prefixes from one letter;
- Chinese characters and character bigrams (substring search for Chinese);
- pinyin, full and initials, from every syllable boundary, with their prefixes:
  王秀英 → ``wangxiuying``, ``xiuying``, ``ying``, ``wxy``, ``xy``, ``y`` (and ``xiuy``…);
- phone numbers (any kind, see `validators`): the number as dialled in China (``13800138000``,
  ``02158881234``, ``4008123456``), with its extension too (``02158881234x8001``), its
  digits with the country code, the prefixes (from 3 digits) and suffixes (from 4) of the
  dialled digits, and the prefixes (from 4) of a landline's number without its area code; a
  query that is a whole number is normalised first, so ``(021)5888-1234`` and
  ``+86 21 58881234`` find the same record;
- email addresses, local parts and domains.

Phone and email tokens are personal data: they go through `seal` (the data protector's keyed
HMAC) both when stored and when queried, so the stored list holds no phone number or address
in plaintext. Changing what is stored needs a migration that rebuilds ``search_terms``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum

from pypinyin import Style, lazy_pinyin

from crm_customer.customers.validators import (
    EXTENSION,
    dialled_digits,
    local_number,
    parse_phone,
    split_extension,
)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+")
MIN_PREFIX = 1  # a one-letter word is what a user types for a name they know the start of
MAX_PREFIX = 12
MIN_PHONE_PREFIX = 3
MIN_SUFFIX = 4


def _prefixes(word: str) -> set[str]:
    return {word, *(word[:n] for n in range(MIN_PREFIX, min(len(word), MAX_PREFIX) + 1))}


def _latin(text: str) -> set[str]:
    terms: set[str] = set()
    for word in _WORD.findall(text.lower()):
        terms |= _prefixes(word)
    return terms


def _pinyin(run: str) -> set[str]:
    """Full pinyin and initials read from every syllable on, so that a user may type a
    given name without the family name (王秀英 → ``xiuying``, ``xy``)."""
    syllables = lazy_pinyin(run)
    initials = lazy_pinyin(run, style=Style.FIRST_LETTER)
    terms: set[str] = set()
    for start in range(len(syllables)):
        terms |= _latin("".join(syllables[start:])) | _latin("".join(initials[start:]))
    return terms


def _chinese(text: str) -> set[str]:
    terms: set[str] = set()
    for run in _CJK.findall(text):
        terms.update(run)
        terms.update(run[i : i + 2] for i in range(len(run) - 1))
        terms |= _pinyin(run)
    return terms


def _whole_phone(number: str) -> str:
    """The token of a whole normalised number: dialled digits, then any extension."""
    main, extension = split_extension(number)
    return dialled_digits(main) + (EXTENSION + extension if extension else "")


def _phone(number: str) -> set[str]:
    main, _ = split_extension(number)
    dialled = dialled_digits(main)
    terms = {_whole_phone(number), dialled, main.lstrip("+")}
    if main.startswith("+86"):
        terms.add(main[3:])  # the national number, as E.164 writes it after +86
    terms.update(dialled[:n] for n in range(MIN_PHONE_PREFIX, len(dialled)))
    terms.update(dialled[-n:] for n in range(MIN_SUFFIX, len(dialled)))
    local = local_number(number)
    if local:  # dialled without the area code inside the same city
        terms.update(local[:n] for n in range(MIN_SUFFIX, len(local)))
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
    return digits if digits.isdigit() and len(digits) >= MIN_PHONE_PREFIX else None


def _phone_query(text: str) -> str | None:
    """The phone token a query stands for: a whole number normalised (in whatever notation
    it was typed), else the digits typed (a prefix or suffix of a number)."""
    phone = parse_phone(text)
    return _whole_phone(phone.number) if phone else _phone_digits(text)


def query_kind(query: str) -> QueryKind:
    text = query.strip().lower()
    if "@" in text and " " not in text:
        return QueryKind.EMAIL
    return QueryKind.PHONE if _phone_query(text) else QueryKind.WORDS


def query_terms(query: str, seal: Seal = unsealed) -> list[str]:
    """The tokens a free-text query must all match; [] when it has nothing searchable.
    A phone or email query is sealed the way `customer_terms` sealed the stored tokens."""
    text = query.strip().lower()
    kind = query_kind(text)
    if kind is QueryKind.EMAIL:
        return [seal(text)]
    phone = _phone_query(text)
    if kind is QueryKind.PHONE and phone:
        return [seal(phone)]
    terms: set[str] = set()
    for run in _CJK.findall(text):
        if len(run) == 1:
            terms.add(run)
        else:
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(text):
        terms.add(word[:MAX_PREFIX])
    return sorted(terms)
