"""Import/export files and rows (pure): type by content, headers, cells, neutralisation."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from crm_customer.customers.values import CustomerKind, Gender, LifecycleStage, Source
from crm_customer.imports import files
from crm_customer.imports.columns import COLUMNS, resolve_header, template_header
from crm_customer.imports.model import Counts, Outcome, RowResult
from crm_customer.imports.rows import column_of, parse_row, stage_rows
from crm_kit.errors import BadUserInput
from tests.support import field_code_list


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_type_is_decided_by_content_not_by_name() -> None:
    assert files.detect("kind,name\n个人,张三\n".encode(), "a.csv") is files.FileFormat.CSV
    assert files.detect("kind,name\n个人,张三\n".encode("gb18030"), "") is files.FileFormat.CSV
    assert files.detect(xlsx([["kind"]]), "upload.csv") is files.FileFormat.XLSX
    for data, name in [
        (b"%PDF-1.7\x00\x01binary", "a.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1legacy", "a.xls"),
        (b"kind,name\n", "a.exe"),
        (b"kind,name\nx,y\n", "a.xlsx"),  # text named .xlsx
    ]:
        with pytest.raises(BadUserInput) as exc:
            files.detect(data, name)
        assert field_code_list(exc) == ["UNSUPPORTED_FILE_TYPE"]
    with pytest.raises(BadUserInput) as exc:
        files.detect(b"\xef\xbb\xbf \r\n", "empty.csv")
    assert field_code_list(exc) == ["EMPTY_FILE"]


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
    with pytest.raises(BadUserInput) as exc:
        files.detect(out.getvalue(), "doc.xlsx")
    assert field_code_list(exc) == ["UNSUPPORTED_FILE_TYPE"]


def test_xlsx_cells_become_text_numbers_and_dates_included() -> None:
    data = xlsx(
        [
            ["Kind", "Name", "Phones", "Birthday"],
            ["个人", "张三", 13800138000, datetime(1990, 5, 1)],
        ]
    )
    rows = files.read_table(data, files.FileFormat.XLSX, 10)
    assert rows[1] == (2, ["个人", "张三", "13800138000", "1990-05-01"])


def test_csv_rows_skip_blank_lines_and_respect_the_row_limit() -> None:
    text = "kind;name\n个人;张三\n;\n个人;李四\n"
    rows = files.read_table(text.encode(), files.FileFormat.CSV, 10)
    assert [n for n, _ in rows] == [1, 2, 4] and rows[2][1] == ["个人", "李四"]
    with pytest.raises(BadUserInput) as exc:
        files.read_table(text.encode(), files.FileFormat.CSV, 1)
    assert field_code_list(exc) == ["TOO_MANY_ROWS"]


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


@pytest.mark.parametrize("value", ["=1+2", "+86138", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_cells_get_a_quote_and_come_back_unchanged(value: str) -> None:
    assert files.neutralise(value) == "'" + value
    written = files.to_csv([["name"], [value]])
    rows = files.read_table(written, files.FileFormat.CSV, 10)
    assert rows[1][1] == [value]


def test_xlsx_export_cells_are_text_never_formulas() -> None:
    data = files.to_xlsx([("s", [["name", "phone"], ['=HYPERLINK("http://x")', "+8613498952262"]])])
    book = openpyxl.load_workbook(io.BytesIO(data))
    cell, phone = book.active["A2"], book.active["B2"]
    # a text cell, shown as typed: no visible quote, never run as a formula
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'
    assert phone.data_type == "s" and phone.value == "+8613498952262"
    assert files.read_table(data, files.FileFormat.XLSX, 10)[1][1] == [
        '=HYPERLINK("http://x")',
        "+8613498952262",
    ]


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


def test_counts_add_up_row_outcomes() -> None:
    results = [RowResult(2, Outcome.CREATED), RowResult(3, Outcome.FAILED, errors=[("x", "y")])]
    assert Counts.of(results) == Counts(processed=2, created=1, failed=1)
