"""Pure validators for Chinese and international master data (no I/O).

- GB 11643-1999: 18-digit resident identity number with an ISO 7064 MOD 11-2 check digit.
- GB 32100-2015: 18-character unified social credit code with a MOD 31 check character.
- GB/T 4754-2017: industry sections A–T.
- Phone numbers (`parse_phone`), one normal form per kind (`values.PhoneKind`):

  - MOBILE: ``+86`` and the 11 digits: ``138 0013 8000`` → ``+8613800138000``;
  - LANDLINE: ``+86``, the area code without its trunk ``0``, the local number:
    ``021-58881234``, ``(021)58881234``, ``+86 21 5888 1234`` → ``+862158881234``;
  - SERVICE: the 10 digits of a 400 / 800 number (``400-812-3456`` → ``4008123456``): they
    are dialled the same everywhere in China and have no E.164 form;
  - INTERNATIONAL: E.164 (``+14155552671``) for any country but China.

  An extension (landline, service or international, never a mobile) follows the number
  after an ``x``: ``+862158881234x8001``; it may be written ``-8001``, ``ext 8001``,
  ``x8001``, ``#8001``, ``转8001`` or ``分机8001`` (a dashed group is an extension only when
  the digits together are no valid number: ``+1 415 555 2671-12`` is one E.164 number, so
  foreign extensions need a mark). Not RFC 3966's ``;ext=``: import and export files
  separate the numbers of a cell with ``;`` and ``,``.

  A landline needs its area code (2 digits: 10 and 2X, then 8 digits; 3 digits: 3XX–9XX,
  then 7 or 8), and a local number never starts with 0 or 1. Full-width digits and brackets
  are read as ASCII. A normal form parses to itself (records are validated again on update).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from crm_customer.customers.values import Phone, PhoneKind

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Province-level codes (first two digits of an administrative division code).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
        "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
        "63", "64", "65", "71", "81", "82", "83",
    }
)  # fmt: skip

_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[1-9A-HJ-NP-RTUWXY][1-9A-HJ-NP-RTUWXY]\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")

INDUSTRY_SECTIONS: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "B": ("采矿业", "Mining"),
    "C": ("制造业", "Manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water supply"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and postal services"),
    "H": ("住宿和餐饮业", "Accommodation and catering"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "J": ("金融业", "Finance"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "N": ("水利、环境和公共设施管理业", "Water, environment and public facilities management"),
    "O": ("居民服务、修理和其他服务业", "Residential, repair and other services"),
    "P": ("教育", "Education"),
    "Q": ("卫生和社会工作", "Health and social work"),
    "R": ("文化、体育和娱乐业", "Culture, sports and entertainment"),
    "S": ("公共管理、社会保障和社会组织", "Public administration and social organisations"),
    "T": ("国际组织", "International organisations"),
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# ASCII digits only: `\d` alone would also take other scripts' digits.
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$", re.ASCII)
_SERVICE = re.compile(r"^[48]00\d{7}$", re.ASCII)
# Area code and local number, without the trunk 0: 10 / 2X + 8 digits, or 3XX–9XX + 7 or 8.
_LANDLINE = re.compile(r"^(?:(?:10|2\d)[2-9]\d{7}|[3-9]\d{2}[2-9]\d{6,7})$", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-–—().]")
_EXTENSION_MARK = re.compile(
    r"^(?P<main>.+?)\s*(?:extension|ext\.?|x|#|转|分机)\s*(?P<ext>\d{1,6})$",
    re.ASCII | re.IGNORECASE,
)
_DASHED_EXTENSION = re.compile(r"^(?P<main>.+)-(?P<ext>\d{1,6})$", re.ASCII)
EXTENSION = "x"  # between a normalised number and its extension
_WECHAT = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")
_WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def normalize_phone(raw: str) -> str | None:
    """The number's normal form (see the module docstring); None when it is not valid."""
    phone = parse_phone(raw)
    return phone.number if phone else None


def parse_phone(raw: str) -> Phone | None:
    """The number's normal form and kind; None when it is not a number this accepts."""
    text = unicodedata.normalize("NFKC", raw).strip()
    marked = _EXTENSION_MARK.match(text)
    if marked:
        return _with_extension(_parse_number(marked["main"]), marked["ext"])
    whole = _parse_number(text)
    if whole is not None:
        return whole
    # "021-58881234-8001": the last dashed group is an extension only when what precedes it
    # is a whole number by itself ("138-0013-8000" was taken whole above).
    dashed = _DASHED_EXTENSION.match(text)
    return _with_extension(_parse_number(dashed["main"]), dashed["ext"]) if dashed else None


def _with_extension(phone: Phone | None, extension: str) -> Phone | None:
    if phone is None or phone.kind is PhoneKind.MOBILE:  # a mobile has no extensions
        return None
    return Phone(phone.number + EXTENSION + extension, phone.kind)


def _parse_number(text: str) -> Phone | None:
    """A number without extension, in international or Chinese domestic notation."""
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+86"):
        national = digits[3:]
        # A landline may come without its trunk 0 (E.164) or with it ("+86 (0)21 …", read
        # by `_domestic`).
        return _domestic(national) or _landline(national)
    if digits.startswith("+"):
        return Phone(digits, PhoneKind.INTERNATIONAL) if _E164.match(digits) else None
    return _domestic(digits)


def _domestic(digits: str) -> Phone | None:
    """A number as dialled inside mainland China: a landline with its trunk 0 and area code,
    a mobile, or a 400 / 800 number."""
    if digits.startswith("0"):
        return _landline(digits[1:])
    if _CN_MOBILE.match(digits):
        return Phone("+86" + digits, PhoneKind.MOBILE)
    return Phone(digits, PhoneKind.SERVICE) if _SERVICE.match(digits) else None


def _landline(area_and_number: str) -> Phone | None:
    if not _LANDLINE.match(area_and_number):
        return None
    return Phone("+86" + area_and_number, PhoneKind.LANDLINE)


def phone_kind(number: str) -> PhoneKind:
    """The kind of a stored (normalised) number. Every stored number was normalised by
    `parse_phone` or by its stricter predecessor (mobiles and E.164 only), so it parses; a
    hand-edited value that does not is shown as INTERNATIONAL rather than failing the record."""
    phone = parse_phone(number)
    return phone.kind if phone else PhoneKind.INTERNATIONAL


def split_extension(number: str) -> tuple[str, str]:
    """A normalised number's main part and its extension ("" when it has none)."""
    main, _, extension = number.partition(EXTENSION)
    return main, extension


def local_number(number: str) -> str | None:
    """A normalised landline's number after its area code (``58881234``); None for any
    other kind of number."""
    main, _ = split_extension(number)
    national = main.removeprefix("+86")
    if main == national or not _LANDLINE.match(national):
        return None
    area_digits = 2 if national.startswith(("10", "2")) else 3
    return national[area_digits:]


def dialled_digits(number: str) -> str:
    """A normalised number (without extension) as it is dialled inside mainland China: a
    mobile's 11 digits, a landline with its trunk 0 (``02158881234``), a service number's 10
    digits, a foreign number's digits after the ``+``."""
    if number.startswith("+86"):
        national = number[3:]
        return national if _CN_MOBILE.match(national) else "0" + national
    return number.removeprefix("+")


def normalize_email(raw: str) -> str | None:
    value = raw.strip().lower()
    return value if _EMAIL.match(value) and len(value) <= 254 else None


def id_card_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_card(raw: str) -> str:
    return re.sub(r"\s", "", raw).upper()


def id_card_problem(number: str, today: date) -> str | None:
    """None when `number` (normalised) is a valid GB 11643 number, else an error code."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return "INVALID_ID_CARD_FORMAT"
    if number[:2] not in PROVINCE_CODES:
        return "INVALID_ID_CARD_REGION"
    if id_card_birthday(number) is None:
        return "INVALID_ID_CARD_BIRTHDAY"
    born = id_card_birthday(number)
    if born is not None and not birthday_plausible(born, today):
        return "INVALID_ID_CARD_BIRTHDAY"
    if id_card_check_digit(number[:17]) != number[17]:
        return "INVALID_ID_CARD_CHECK_DIGIT"
    return None


def id_card_birthday(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def id_card_gender(number: str) -> str:
    """The 17th digit is odd for men and even for women."""
    return "MALE" if int(number[16]) % 2 else "FEMALE"


def birthday_plausible(born: date, today: date) -> bool:
    return date(today.year - 150, 1, 1) <= born <= today


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARSET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARSET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    return re.sub(r"\s", "", raw).upper()


def uscc_problem(code: str) -> str | None:
    if len(code) != 18 or not _USCC_SHAPE.match(code):
        return "INVALID_USCC_FORMAT"
    if uscc_check_char(code[:17]) != code[17]:
        return "INVALID_USCC_CHECK_CHAR"
    return None


def valid_wechat_id(value: str) -> bool:
    return bool(_WECHAT.match(value))


def valid_website(value: str) -> bool:
    return bool(_WEBSITE.match(value)) and len(value) <= 300
