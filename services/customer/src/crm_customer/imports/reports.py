"""How a refused import row is reported (pure): the column and code of each problem, the
error lines in row order and the error report file.

A dry run and the real run of a file report a row alike because both build its result here
from the same refusal: a domain field error (its path → the column), a row problem, or a
duplicate (the duplicate rule → the column of this row holding the shared value)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_customer.imports import files
from crm_customer.imports.columns import ColumnSet
from crm_customer.imports.model import ImportMode, Job, Outcome, RowResult, texts
from crm_customer.imports.rows import row_errors
from crm_kit.errors import BadUserInput, Conflict, CrmError, Forbidden

REPORT_HEADER = ["行号 Row", "列 Column", "代码 Code", "说明", "Message"]

# A duplicate rule → the columns that may hold its value, the customer's own first.
RULE_COLUMNS = {
    "ID_CARD": ("id_card_number",),
    "USCC": ("uscc",),
    "PHONE": ("phones", "contact_phone"),
    "EMAIL": ("emails", "contact_email"),
}


class RowProblem(Exception):
    """A row refused before it reaches a use case: (column key, code)."""

    def __init__(self, column: str, code: str) -> None:
        super().__init__(code)
        self.column = column
        self.code = code


def rule_column(rule: str, cells: dict[str, str]) -> str:
    """The column of a row holding the value a duplicate rule matched: the customer's own
    phones (emails) when the row fills them, else its contact person's."""
    columns = RULE_COLUMNS.get(rule, ("",))
    return next((c for c in columns if cells.get(c, "").strip()), columns[0])


def _duplicate(
    job: Job, row: int, cells: dict[str, str], exc: Conflict, dup_of: int | None
) -> RowResult:
    rule = str(exc.extensions.get("rule") or "")
    if not rule:  # a stale version while updating
        return RowResult(row, Outcome.FAILED, errors=[("", "STALE")])
    column = rule_column(rule, cells)
    other = str(exc.extensions.get("conflictingId") or "") or None
    code = "DUPLICATE_IN_FILE" if dup_of is not None else "DUPLICATE"
    if job.mode is ImportMode.SKIP_DUPLICATES:
        code = "DUPLICATE_IN_FILE" if dup_of is not None else "DUPLICATE_SKIPPED"
        return RowResult(row, Outcome.SKIPPED, other, [(column, code)])
    return RowResult(row, Outcome.FAILED, other, [(column, code)])


def row_failure(
    job: Job, row: int, cells: dict[str, str], exc: CrmError | RowProblem, dup_of: int | None
) -> RowResult:
    """The result of a row refused with `exc` (`dup_of`: the earlier line it repeats)."""
    if isinstance(exc, BadUserInput):
        return RowResult(row, Outcome.FAILED, errors=row_errors(exc))
    if isinstance(exc, RowProblem):
        return RowResult(row, Outcome.FAILED, errors=[(exc.column, exc.code)])
    if isinstance(exc, Conflict):
        return _duplicate(job, row, cells, exc, dup_of)
    if isinstance(exc, Forbidden):
        return RowResult(row, Outcome.FAILED, errors=[("", "FORBIDDEN")])
    return RowResult(row, Outcome.FAILED, errors=[("", "ERROR")])


@dataclass(frozen=True, slots=True)
class ErrorLine:
    row: int
    column: str
    code: str
    customer_id: str | None


def error_lines(job: Job, results: list[RowResult]) -> list[ErrorLine]:
    """Each problem with its column's header as written in the file (a column the file does
    not have, e.g. a required custom field: its header in the caller's language)."""
    columns = ColumnSet.of(job.custom_fields)
    lines: list[ErrorLine] = []
    for result in sorted(results, key=lambda r: r.row):
        for key, code in result.errors:
            header = job.headers.get(key) or columns.header_of(key)
            lines.append(ErrorLine(result.row, header, code, result.customer_id))
    return lines


def error_report(job: Job, results: list[RowResult], fmt: files.FileFormat) -> bytes:
    rows = [REPORT_HEADER]
    for line in error_lines(job, results):
        zh, en = texts(line.code)
        rows.append([str(line.row), line.column, line.code, zh, en])
    return files.render(fmt, rows, "errors", stable=True)  # rendered again for each download
