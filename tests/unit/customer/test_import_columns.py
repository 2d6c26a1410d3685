"""Import columns (pure): custom fields as columns named by key or either label, their cells
read as the values the field takes and written back by exports unchanged, the API's field
names in the template, and duplicate refusals reported in the row's own column."""

from __future__ import annotations

from typing import Any

import pytest

from crm_customer.catalog.field_values import apply_values
from crm_customer.catalog.model import MAX_DEFINITIONS, FieldDefinition, FieldType
from crm_customer.imports.columns import COLUMNS, FIXED, ColumnSet
from crm_customer.imports.export import custom_cell
from crm_customer.imports.reports import rule_column
from crm_customer.imports.rows import column_of, custom_value, parse_row, stage_rows
from crm_kit.errors import BadUserInput
from crm_kit.imports import tables

VIP = FieldDefinition(
    "vip_level", "会员等级", "VIP level", FieldType.SELECT, required=True, options=["Gold", "银卡"]
)
BUDGET = FieldDefinition("budget", "预算", "Budget", FieldType.NUMBER)


def test_a_custom_field_is_a_column_named_by_its_key_or_either_label() -> None:
    columns = ColumnSet.of([VIP, BUDGET])
    for name in ("vip_level", "VIP level", " vip LEVEL* ", "会员等级", "customFields.vip_level"):
        header = columns.resolve_header(["客户类型", "客户名称", name])
        assert header.positions[2] == "custom:vip_level", name
    assert columns.template_header("en")[-2:] == ["VIP level*", "Budget"]
    assert columns.template_header("zh")[-2:] == ["会员等级*", "预算"]
    with pytest.raises(BadUserInput) as exc:  # without the definition: an unknown column
        FIXED.resolve_header(["客户类型", "客户名称", "VIP level"])
    assert exc.value.field_errors[0].code == "UNKNOWN_COLUMNS"


def test_a_required_custom_column_may_be_left_out_of_the_header() -> None:
    header = ColumnSet.of([VIP]).resolve_header(["Kind", "Name"])
    assert "custom:vip_level" not in header.headers  # checked per row, not per file


def test_a_label_naming_a_fixed_column_leaves_it_to_that_column() -> None:
    mobile = FieldDefinition("mobile_2", "手机", "Mobile", FieldType.TEXT)
    retired = FieldDefinition("old", "旧字段", "Old", FieldType.TEXT, active=False)
    columns = ColumnSet.of([mobile, retired])
    assert columns.aliases["手机"] == "phones" and columns.aliases["mobile2"] == ("custom:mobile_2")
    # the template still names the column so that it reads back as itself
    assert columns.template_header("zh")[-1] == "mobile_2"
    assert columns.resolve_header(["客户类型", "客户名称", "mobile_2"]).positions[2] == (
        "custom:mobile_2"
    )
    assert "custom:old" not in columns.by_key  # inactive fields are no columns


def test_template_notes_name_columns_as_the_api_does_and_list_options() -> None:
    notes = ColumnSet.of([VIP]).template_notes("en")
    keys = {row[0]: row[2] for row in notes[1:]}
    assert keys["ID card number"] == "idCardNumber" and keys["Owner"] == "ownerId"
    assert keys["Company size"] == "companySize" and keys["Source detail"] == "sourceDetail"
    assert keys["VIP level"] == "vip_level"
    assert notes[-1] == ["VIP level", "yes", "vip_level", "One of: Gold/银卡"]
    # the API's name is accepted as a header
    header = FIXED.resolve_header(["kind", "name", "idCardNumber", "companySize"])
    assert sorted(header.headers) == ["company_size", "id_card_number", "kind", "name"]


@pytest.mark.parametrize(
    ("kind", "options", "cell", "value"),
    [
        (FieldType.NUMBER, [], "12", 12),
        (FieldType.NUMBER, [], "-0.5", -0.5),
        (FieldType.NUMBER, [], "1,234.5", 1234.5),
        (FieldType.NUMBER, [], "很多", "很多"),
        (FieldType.DATE, [], "2024/1/5", "2024-01-05"),
        (FieldType.DATE, [], "2024-02-30", "2024-02-30"),
        (FieldType.BOOLEAN, [], "是", True),
        (FieldType.BOOLEAN, [], "FALSE", False),
        (FieldType.BOOLEAN, [], "maybe", "maybe"),
        (FieldType.SELECT, ["Gold", "Silver"], " gold ", "Gold"),
        (FieldType.MULTISELECT, ["A, B", "C"], "a, b;C", ["A, B", "C"]),
        (FieldType.MULTISELECT, ["A", "C"], "A，C", ["A", "C"]),
        (FieldType.TEXT, [], "随便写", "随便写"),
    ],
)
def test_custom_cells_become_the_values_the_field_takes(
    kind: FieldType, options: list[str], cell: str, value: Any
) -> None:
    assert custom_value(FieldDefinition("f", "字段", "F", kind, options=options), cell) == value


@pytest.mark.parametrize(
    ("kind", "options", "value"),
    [
        (FieldType.NUMBER, [], 12.5),
        (FieldType.NUMBER, [], 7),
        (FieldType.DATE, [], "2024-01-05"),
        (FieldType.BOOLEAN, [], False),
        (FieldType.SELECT, ["金卡", "银卡"], "银卡"),
        (FieldType.MULTISELECT, ["高尔夫", "旅行", "a,b"], ["旅行", "a,b"]),
        (FieldType.TEXT, [], "A note"),
    ],
)
def test_exported_custom_values_import_back_unchanged(
    kind: FieldType, options: list[str], value: Any
) -> None:
    d = FieldDefinition("f", "字段", "F", kind, options=options)
    read = custom_value(d, custom_cell(d, value))
    assert apply_values({"f": d}, {"f": read}) == {"f": value}


def test_a_row_carries_its_custom_values_and_their_errors_name_the_column() -> None:
    cells = {"kind": "个人", "name": "甲", "custom:vip_level": "gold", "custom:budget": ""}
    parsed = parse_row(cells, [VIP, BUDGET])
    assert parsed.new_customer().custom_fields == {"vip_level": "Gold"}
    assert parsed.changes().custom_fields == {"vip_level": "Gold"}
    assert parse_row({"kind": "个人", "name": "乙"}, [VIP]).changes().custom_fields is None
    assert column_of("customFields.vip_level") == "custom:vip_level"


def test_a_duplicate_is_reported_in_the_column_of_the_row_that_holds_the_value() -> None:
    assert rule_column("PHONE", {"phones": "13800138000"}) == "phones"
    assert rule_column("PHONE", {"phones": "", "contact_phone": "13800138000"}) == "contact_phone"
    assert rule_column("EMAIL", {"contact_email": "a@x.com"}) == "contact_email"
    assert rule_column("ID_CARD", {}) == "id_card_number"
    assert rule_column("IN_FILE", {}) == ""


def test_a_contact_phone_repeating_an_earlier_row_is_a_repeat_within_the_file() -> None:
    table = [
        (1, ["客户类型", "客户名称", "手机号码", "联系人", "联系人电话"]),
        (2, ["个人", "甲", "13800138000", "", ""]),
        (3, ["企业", "乙公司", "", "王", "138 0013 8000"]),
    ]
    assert [s["dup_of"] for s in stage_rows(table)] == [None, 2]


def test_a_file_may_have_every_column_the_catalog_can_define() -> None:
    assert len(COLUMNS) + MAX_DEFINITIONS <= tables.MAX_COLUMNS
