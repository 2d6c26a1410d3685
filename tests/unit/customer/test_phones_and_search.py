"""Phone numbers of every kind (mobile, landline, 400 / 800) and free-text search as a user
types it: one-letter words as prefixes, pinyin from any syllable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_customer.customers import model as domain
from crm_customer.customers.model import NewCustomer
from crm_customer.customers.search import customer_terms, query_kind, query_terms
from crm_customer.customers.validators import normalize_phone, parse_phone, phone_kind
from crm_customer.customers.values import CustomerKind, PhoneKind
from crm_customer.imports.rows import parse_row
from crm_kit.errors import BadUserInput
from crm_kit.personal import mask_phone

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LANDLINE = "+862158881234"


@pytest.mark.parametrize(
    ("raw", "number", "kind"),
    [
        ("021-58881234", LANDLINE, PhoneKind.LANDLINE),
        ("+862158881234", LANDLINE, PhoneKind.LANDLINE),
        ("(021)58881234", LANDLINE, PhoneKind.LANDLINE),
        ("（021）5888 1234", LANDLINE, PhoneKind.LANDLINE),  # full-width brackets
        ("+86 (0)21 5888-1234", LANDLINE, PhoneKind.LANDLINE),
        ("0086 21 58881234", LANDLINE, PhoneKind.LANDLINE),
        ("010-58881234", "+861058881234", PhoneKind.LANDLINE),
        ("0755-2888-1234", "+8675528881234", PhoneKind.LANDLINE),
        ("0571-8888123", "+865718888123", PhoneKind.LANDLINE),  # 3-digit area, 7 digits
        ("021-58881234-8001", LANDLINE + "x8001", PhoneKind.LANDLINE),
        ("021-58881234 ext. 8001", LANDLINE + "x8001", PhoneKind.LANDLINE),
        ("021-58881234转8001", LANDLINE + "x8001", PhoneKind.LANDLINE),
        ("02158881234 分机 8001", LANDLINE + "x8001", PhoneKind.LANDLINE),
        ("4008123456", "4008123456", PhoneKind.SERVICE),
        ("400-812-3456", "4008123456", PhoneKind.SERVICE),
        ("+86 800 810 8888", "8008108888", PhoneKind.SERVICE),
        ("400-812-3456转2", "4008123456x2", PhoneKind.SERVICE),
        ("138 0013 8000", "+8613800138000", PhoneKind.MOBILE),
        ("+86 138-0013-8000", "+8613800138000", PhoneKind.MOBILE),
        ("+14155552671", "+14155552671", PhoneKind.INTERNATIONAL),
        ("+1 415 555 2671 x12", "+14155552671x12", PhoneKind.INTERNATIONAL),
    ],
)
def test_every_kind_of_number_is_normalised_and_typed(
    raw: str, number: str, kind: PhoneKind
) -> None:
    phone = parse_phone(raw)
    assert phone is not None and (phone.number, phone.kind) == (number, kind)
    assert normalize_phone(number) == number  # the normal form parses to itself
    assert phone_kind(number) is kind


@pytest.mark.parametrize(
    "raw",
    [
        "58881234",  # no area code
        "2158881234",  # an area code needs its trunk 0 in domestic notation
        "010-12345678",  # a local number never starts with 1
        "021-0888123",
        "0215888123",  # too short for a 2-digit area code
        "13800138000-12",  # a mobile has no extension
        "4001234",
        "+8612800138000",
        "12345",
        "not a number",
    ],
)
def test_what_is_not_a_phone_number_is_refused(raw: str) -> None:
    assert parse_phone(raw) is None


def test_an_enterprise_keeps_its_landline_and_service_number_once() -> None:
    new = NewCustomer(
        kind=CustomerKind.ENTERPRISE,
        name="上海远景贸易有限公司",
        phones=["021-58881234", "+862158881234", "(021)58881234", "400-812-3456"],
    )
    customer = domain.create(new, id="c1", actor="alice", now=NOW)
    assert customer.phones == [LANDLINE, "4008123456"]
    with pytest.raises(BadUserInput) as refused:
        domain.create(
            NewCustomer(kind=CustomerKind.ENTERPRISE, name="x", phones=["58881234"]),
            id="c2",
            actor="alice",
            now=NOW,
        )
    assert [(e.field, e.code) for e in refused.value.field_errors] == [
        ("phones[0]", "INVALID_PHONE")
    ]


def test_an_import_row_with_a_landline_is_accepted() -> None:
    row = parse_row({"kind": "企业", "name": "远景贸易", "phones": "021-58881234;4008123456"})
    customer = domain.create(row.new_customer(), id="c1", actor="alice", now=NOW)
    assert customer.phones == [LANDLINE, "4008123456"]


def test_landline_and_extension_masks_hide_the_number() -> None:
    assert mask_phone(LANDLINE) == "+8621****1234"
    assert mask_phone(LANDLINE + "x8001") == "+8621****1234x****"
    assert mask_phone("4008123456") == "40****3456"
    assert mask_phone("+8613856785678") == "+86138****5678"


def _finds(query: str, names: list[str], phones: list[str] | None = None) -> bool:
    stored = set(customer_terms(names, phones or [], []))
    terms = query_terms(query)
    return bool(terms) and set(terms) <= stored


def test_a_one_letter_word_is_a_prefix() -> None:
    assert _finds("Anna T", ["Anna Tan"])
    assert _finds("a tan", ["Anna Tan"])
    assert not _finds("Anna L", ["Anna Tan"])


def test_pinyin_matches_from_any_syllable() -> None:
    for query in ("xiuying", "xiuy", "ying", "wang xiuying", "xy", "wxy", "wangxiuying"):
        assert _finds(query, ["王秀英"]), query
    assert _finds("yunfan keji", ["北京云帆科技有限公司"])
    assert not _finds("xiuwang", ["王秀英"])


@pytest.mark.parametrize(
    "query",
    [
        "021-58881234",
        "(021)5888-1234",
        "+86 21 5888 1234",
        "02158881234",
        "0215888",  # the start as dialled
        "5888",  # the local number's start, dialled without the area code
        "81234",
    ],
)
def test_a_landline_is_found_however_it_is_typed(query: str) -> None:
    assert query_kind(query) == "PHONE"
    assert _finds(query, [], [LANDLINE + "x8001"])
    assert not _finds(query, [], ["+8613800138000"])


def test_an_extension_in_the_query_must_match() -> None:
    assert _finds("021-58881234-8001", [], [LANDLINE + "x8001"])
    assert not _finds("021-58881234-8002", [], [LANDLINE + "x8001"])
    assert query_kind("021-58881234转8001") == "PHONE"  # refused for masked roles like digits
    assert _finds("400 812 3456", [], ["4008123456"])
