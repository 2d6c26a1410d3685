"""Customer import rows (pure): headers, cells, labels, lists and dates, and the columns domain
errors point at (the file formats are the kit's: tests/unit/kit/test_import_tables.py)."""

from __future__ import annotations

from datetime import date

import pytest

from crm_customer.customers.values import CustomerKind, Gender, LifecycleStage, Source
from crm_customer.imports.columns import COLUMNS, resolve_header, template_header
from crm_customer.imports.rows import column_of, parse_row, stage_rows
from crm_kit.errors import BadUserInput
from tests.support import field_code_list


def test_header_accepts_zh_en_and_keys_and_names_missing_and_unknown_columns() -> None:
    header = resolve_header(["客户类型*", " Name ", "phones", "ID card number"])
    assert header.positions == {0: "kind", 1: "name", 2: "phones", 3: "id_card_number"}
    assert header.headers["name"] == "Name"
    with pytest.raises(BadUserInput) as exc:
        resolve_header(["Name", "手机号码", "星座", "手机号码"])
    assert field_code_list(exc) == ["MISSING_COLUMNS", "UNKNOWN_COLUMNS", "REPEATED_COLUMNS"]
    text = " ".join(e.message for e in exc.value.field_errors)
    assert "客户类型 (Kind)" in text and "星座" in text
    assert template_header("zh")[0] == "客户类型*" and template_header("en")[1] == "Name*"
    assert len(template_header("en")) == len(COLUMNS)


def test_a_row_parses_labels_lists_and_dates() -> None:
    parsed = parse_row(
        {
            "kind": "个人", "name": " 张三 ", "stage": "潜在客户", "source": "转介绍",
            "gender": "女", "birthday": "1990/5/1", "phones": "13800138000；13900139000",
            "tags": "VIP, 老客户", "province": "北京市", "contact_name": "",
        }
    )  # fmt: skip
    new = parsed.new_customer()
    assert new.kind is CustomerKind.INDIVIDUAL and new.stage is LifecycleStage.PROSPECT
    assert new.source is Source.REFERRAL and new.gender is Gender.FEMALE
    assert new.birthday == date(1990, 5, 1)
    assert new.phones == ["13800138000", "13900139000"] and new.tags == ["VIP", "老客户"]
    assert new.addresses[0].province == "北京市" and new.contacts == []
    assert parsed.changes().tags == ["VIP", "老客户"] and parsed.changes().phones is not None


def test_a_bad_row_names_every_bad_column() -> None:
    with pytest.raises(BadUserInput) as exc:
        parse_row({"kind": "robot", "name": "", "birthday": "1990-13-45", "gender": "x"})
    assert sorted((e.field, e.code) for e in exc.value.field_errors) == [
        ("birthday", "INVALID_DATE"),
        ("gender", "INVALID_GENDER"),
        ("kind", "INVALID_KIND"),
        ("name", "REQUIRED"),
    ]


@pytest.mark.parametrize(
    ("path", "column"),
    [
        ("phones[1]", "phones"),
        ("idCardNumber", "id_card_number"),
        ("addresses[0].postalCode", "postal_code"),
        ("addresses[0].province", "province"),
        ("contacts[0].phones[0]", "contact_phone"),
        ("contacts[0].name", "contact_name"),
        ("wechatId", "wechat_id"),
    ],
)
def test_domain_error_paths_map_to_columns(path: str, column: str) -> None:
    assert column_of(path) == column


def test_repeated_identifying_values_within_a_file_point_to_the_first_row() -> None:
    table = [
        (1, ["客户类型", "客户名称", "手机号码", "电子邮箱"]),
        (2, ["个人", "甲", "13800138000", ""]),
        (3, ["个人", "乙", "+86 138 0013 8000", ""]),
        (4, ["个人", "丙", "", "A@x.com"]),
        (5, ["个人", "丁", "", "a@X.com"]),
    ]
    staged = stage_rows(table)
    assert [s["dup_of"] for s in staged] == [None, 2, None, 4]
