"""The kit's import tables and job counters (pure): a file's type by its content, cells read
as text, blank rows and limits, formula-like cells neutralised on the way out and restored on
the way in, XLSX cells always text; counters add up row outcomes."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
import pytest

from crm_kit.errors import BadUserInput
from crm_kit.imports import tables
from crm_kit.imports.model import Counts, Outcome, RowResult
from tests.support import field_code_list


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_type_is_decided_by_content_not_by_name() -> None:
    assert tables.detect("kind,name\n个人,张三\n".encode(), "a.csv") is tables.FileFormat.CSV
    assert tables.detect("kind,name\n个人,张三\n".encode("gb18030"), "") is tables.FileFormat.CSV
    assert tables.detect(xlsx([["kind"]]), "upload.csv") is tables.FileFormat.XLSX
    for data, name in [
        (b"%PDF-1.7\x00\x01binary", "a.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1legacy", "a.xls"),
        (b"kind,name\n", "a.exe"),
        (b"kind,name\nx,y\n", "a.xlsx"),  # text named .xlsx
    ]:
        with pytest.raises(BadUserInput) as exc:
            tables.detect(data, name)
        assert field_code_list(exc) == ["UNSUPPORTED_FILE_TYPE"]
    with pytest.raises(BadUserInput) as exc:
        tables.detect(b"\xef\xbb\xbf \r\n", "empty.csv")
    assert field_code_list(exc) == ["EMPTY_FILE"]


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
    with pytest.raises(BadUserInput) as exc:
        tables.detect(out.getvalue(), "doc.xlsx")
    assert field_code_list(exc) == ["UNSUPPORTED_FILE_TYPE"]


def test_xlsx_cells_become_text_numbers_and_dates_included() -> None:
    data = xlsx(
        [
            ["Kind", "Name", "Phones", "Birthday"],
            ["个人", "张三", 13800138000, datetime(1990, 5, 1)],
        ]
    )
    rows = tables.read_table(data, tables.FileFormat.XLSX, 10)
    assert rows[1] == (2, ["个人", "张三", "13800138000", "1990-05-01"])


def test_csv_rows_skip_blank_lines_and_respect_the_row_limit() -> None:
    text = "kind;name\n个人;张三\n;\n个人;李四\n"
    rows = tables.read_table(text.encode(), tables.FileFormat.CSV, 10)
    assert [n for n, _ in rows] == [1, 2, 4] and rows[2][1] == ["个人", "李四"]
    with pytest.raises(BadUserInput) as exc:
        tables.read_table(text.encode(), tables.FileFormat.CSV, 1)
    assert field_code_list(exc) == ["TOO_MANY_ROWS"]


@pytest.mark.parametrize("value", ["=1+2", "+86138", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_cells_get_a_quote_and_come_back_unchanged(value: str) -> None:
    assert tables.neutralise(value) == "'" + value
    written = tables.to_csv([["name"], [value]])
    rows = tables.read_table(written, tables.FileFormat.CSV, 10)
    assert rows[1][1] == [value]


def test_xlsx_export_cells_are_text_never_formulas() -> None:
    data = tables.to_xlsx(
        [("s", [["name", "phone"], ['=HYPERLINK("http://x")', "+8613498952262"]])]
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    cell, phone = book.active["A2"], book.active["B2"]
    # a text cell, shown as typed: no visible quote, never run as a formula
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'
    assert phone.data_type == "s" and phone.value == "+8613498952262"
    assert tables.read_table(data, tables.FileFormat.XLSX, 10)[1][1] == [
        '=HYPERLINK("http://x")',
        "+8613498952262",
    ]


def test_counts_add_up_row_outcomes() -> None:
    results = [RowResult(2, Outcome.CREATED), RowResult(3, Outcome.FAILED, errors=[("x", "y")])]
    assert Counts.of(results) == Counts(processed=2, created=1, failed=1)
