"""Pure validators for Chinese and international master data (no I/O).

- GB 11643-1999: 18-digit resident identity number with an ISO 7064 MOD 11-2 check digit.
- GB 32100-2015: 18-character unified social credit code with a MOD 31 check character.
- GB/T 4754-2017: industry sections A–T.
- E.164 phone numbers; bare 11-digit numbers are mainland mobiles.
"""

from __future__ import annotations

import re
from datetime import date

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
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_WECHAT = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")
_WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def normalize_phone(raw: str) -> str | None:
    """E.164; bare 11-digit numbers are taken as mainland China mobiles. None when invalid."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if _CN_MOBILE.match(digits):
        return "+86" + digits
    if digits.startswith("+86"):
        return digits if _CN_MOBILE.match(digits[3:]) else None
    return digits if _E164.match(digits) else None


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
