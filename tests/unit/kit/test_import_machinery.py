"""The kit's import machinery (pure parts): cells, columns and headers, row results and their
report, pages of row errors, download links of one service's features, the services' own
GraphQL enums, and the texts of the file codes the kit raises."""

from __future__ import annotations

import ast
import csv
import io
from datetime import date
from pathlib import Path

import pytest

from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Conflict, FieldError, Forbidden
from crm_kit.file_links import BadLink, FileLink, FileLinkSigner
from crm_kit.i18n import EN, language_var
from crm_kit.imports import cells, tables
from crm_kit.imports.columns import Column, ColumnTable, missing_column_error
from crm_kit.imports.downloads import DownloadLinks, FileKind, header_language
from crm_kit.imports.graphql import service_enum
from crm_kit.imports.messages import FILE_MESSAGES, RAISED_FILE_CODES
from crm_kit.imports.model import ImportMode, JobStatus, Outcome, RowProblem, RowResult
from crm_kit.imports.reports import ErrorLine, error_page, error_report, refused, texts_in
from crm_kit.settings import FileLinkSettings
from tests.support import field_code_list

PACKAGE = Path(__file__).resolve().parents[3] / "libs/crm_kit/src/crm_kit/imports"
TABLE = ColumnTable.build(
    (
        Column("customer_id", "客户ID", "Customer ID", True),
        Column("next_step", "下一步", "Next step"),
        Column("amount", "金额", "Amount"),
    ),
    (("customer", "customer_id"),),
)


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        ("2026-09-30", date(2026, 9, 30)),
        ("2026/9/3", date(2026, 9, 3)),
        ("2026年9月30日", date(2026, 9, 30)),
        ("20260930", date(2026, 9, 30)),
        ("2026-02-30", None),
        ("next week", None),
    ],
)
def test_dates_are_read_as_people_type_them(raw: str, found: date | None) -> None:
    assert cells.parse_date(raw) == found


def test_numbers_lose_their_thousands_separators_and_lists_split() -> None:
    assert cells.ungrouped("1,234,567.50") == "1234567.50"
    assert cells.ungrouped("1,2") == "1,2"  # a list, not a grouped number
    assert cells.number_or_text("1,200") == 1200 and cells.number_or_text("2.5") == 2.5
    assert cells.number_or_text("abc") == "abc"
    assert cells.split_list(" a；b、c ;; ") == ["a", "b", "c"]


def test_a_header_names_columns_by_label_key_api_name_or_alias() -> None:
    header = TABLE.resolve_header(["Customer*", "", "nextStep ", "金额"])
    assert header.positions == {0: "customer_id", 2: "next_step", 3: "amount"}
    assert header.headers["customer_id"] == "Customer*"
    assert TABLE.resolve_header(["customer_id", "Next-Step"]).positions[1] == "next_step"


def test_header_problems_are_all_named_at_once_in_the_callers_language() -> None:
    token = language_var.set(EN)
    try:
        with pytest.raises(BadUserInput) as exc:
            TABLE.resolve_header(["金额", "星座", "Amount"])
    finally:
        language_var.reset(token)
    assert field_code_list(exc) == ["MISSING_COLUMNS", "UNKNOWN_COLUMNS", "REPEATED_COLUMNS"]
    messages = [e.message for e in exc.value.field_errors]
    assert messages[0] == "Missing required columns: 客户ID (Customer ID)"
    assert messages[1] == "Unknown columns: 星座" and messages[2] == "Repeated columns: Amount"


def test_the_template_marks_required_columns_and_cells_follow_the_header() -> None:
    assert TABLE.template_header("zh") == ["客户ID*", "下一步", "金额"]
    header = TABLE.resolve_header(["amount", "customer id"])
    assert TABLE.cells(header, ["12", "c-1", "extra"]) == {"amount": "12", "customer_id": "c-1"}
    assert TABLE.cells(header, ["12"]) == {"amount": "12"}
    error = missing_column_error(TABLE.by_key["amount"], "UPSERT by AMOUNT")
    assert [(e.field, e.code) for e in error.field_errors] == [("file", "MISSING_COLUMNS")]


def test_a_row_result_keeps_its_record_and_reads_results_stored_before_the_kit() -> None:
    result = RowResult(7, Outcome.FAILED, "r-1", [("amount", "NEGATIVE")])
    assert RowResult.from_doc(result.as_doc()) == result
    legacy = {"row": 3, "outcome": "CREATED", "customer_id": "c-9", "errors": []}
    assert RowResult.from_doc(legacy) == RowResult(3, Outcome.CREATED, "c-9")


def test_refusals_become_row_errors_in_the_services_columns() -> None:
    bad = BadUserInput([FieldError("expectedCloseDate", "INVALID_DATE", "x")])
    column_of = {"expectedCloseDate": "expected_close_date"}.get
    assert refused(4, bad, lambda p: column_of(p) or p).errors == [
        ("expected_close_date", "INVALID_DATE")
    ]
    assert refused(4, RowProblem("stage", "UNKNOWN_STAGE"), str).errors == [
        ("stage", "UNKNOWN_STAGE")
    ]
    assert refused(4, Forbidden("no"), str).errors == [("", "FORBIDDEN")]
    assert refused(4, Conflict("stale", conflicting_id="r-1"), str).errors == [("", "ERROR")]


def test_error_pages_follow_row_order_and_resume_after_their_cursor() -> None:
    lines = [
        ErrorLine(2, "金额", "NEGATIVE", None),
        ErrorLine(2, "币种", "INVALID_CURRENCY", None),
        ErrorLine(5, "阶段", "UNKNOWN_STAGE", "o-1"),
    ]
    first = error_page(lines, 2, None, "errors")
    assert [line for _, line in first.lines] == lines[:2]
    assert first.has_next and first.total == 3
    rest = error_page(lines, 2, first.lines[-1][0], "errors")
    assert [line for _, line in rest.lines] == lines[2:] and not rest.has_next
    with pytest.raises(BadUserInput):
        error_page(lines, 2, first.lines[-1][0], "another-list")


def test_the_error_report_has_one_line_per_problem_with_both_texts() -> None:
    texts = texts_in({"NEGATIVE": ("金额不能为负数", "Negative")})
    data = error_report([ErrorLine(2, "金额", "NEGATIVE", None)], tables.FileFormat.CSV, texts)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["行号 Row", "列 Column", "代码 Code", "说明", "Message"],
        ["2", "金额", "NEGATIVE", "金额不能为负数", "Negative"],
    ]
    assert texts("OTHER") == ("OTHER", "OTHER")


def test_a_services_links_serve_its_kinds_and_leave_its_other_features_links_alone() -> None:
    signer = FileLinkSigner.of(FileLinkSettings())
    imports = DownloadLinks(signer, "sales", (FileKind.TEMPLATE, FileKind.ERROR_REPORT))
    caller = Principal("li.lei", "li.lei", frozenset({Role.SALES}), "east")
    url = imports.sign(caller, FileKind.ERROR_REPORT, "job-1", {"format": "CSV"})
    token = url.url.removeprefix("/files/sales/")
    assert url.url.startswith("/files/sales/") and isinstance(imports.verify(token), FileLink)
    assert not imports.for_another_feature(token)
    quote = signer.sign(signer.issue("sales", "quote", "q-1", "li.lei"))
    assert imports.for_another_feature(quote) and imports.verify(quote) == BadLink("malformed")
    other_service = signer.sign(signer.issue("customer", "template", "", "li.lei"))
    assert not imports.for_another_feature(other_service)
    assert not imports.for_another_feature("not-a-token")
    assert header_language("en-GB") == "en" and header_language("zh-CN") == "zh"


def test_each_service_shows_a_shared_enum_as_a_class_of_its_own() -> None:
    values = {m.name: f"{m.name} described" for m in JobStatus}
    first = service_enum(JobStatus, "FirstJobStatus", "one", values)
    second = service_enum(JobStatus, "SecondJobStatus", "two", values)
    assert first is not second and first is not JobStatus
    assert first.__strawberry_definition__.name == "FirstJobStatus"  # type: ignore[attr-defined]
    assert second.__strawberry_definition__.name == "SecondJobStatus"  # type: ignore[attr-defined]
    assert not hasattr(JobStatus, "__strawberry_definition__")
    assert JobStatus(first("RUNNING")) is JobStatus.RUNNING
    modes = {m.name: m.name for m in ImportMode}
    assert (
        ImportMode(service_enum(ImportMode, "SomeMode", "m", modes)("UPSERT")) is ImportMode.UPSERT
    )


def _raised_file_codes() -> set[str]:
    """Every code the package raises as a `file` problem (`file_problem`, `_file_error`)."""
    found: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "file_problem",
                "_file_error",
            ):
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.name}: {ast.unparse(first)}"
                found.add(str(first.value))
    return found


def test_every_file_code_the_kit_raises_is_listed_and_the_listed_ones_have_texts() -> None:
    raised = _raised_file_codes()
    assert raised and raised <= RAISED_FILE_CODES
    for code, (zh, en) in FILE_MESSAGES.items():
        assert any("\u4e00" <= c <= "\u9fff" for c in zh) and en.strip(), code
    with pytest.raises(BadUserInput) as exc:
        tables.read_upload(b"x" * 20, "a.csv", max_bytes=10, max_rows=5)
    assert field_code_list(exc) == ["FILE_TOO_LARGE"]
