"""How a refused customer import row is reported (pure): the kit's row reports
(`crm_kit.imports.reports`) with the customer's duplicates — a duplicate rule → the column of
this row holding the shared value — and its columns' headers.

A dry run and the real run of a file report a row alike because both build its result here
from the same refusal: a domain field error (its path → the column), a row problem, or a
duplicate."""

from __future__ import annotations

from crm_customer.imports.columns import ColumnSet
from crm_customer.imports.model import Job, texts
from crm_customer.imports.rows import column_of
from crm_kit.errors import Conflict, CrmError
from crm_kit.imports import reports, tables
from crm_kit.imports.model import ImportMode, Outcome, RowProblem, RowResult
from crm_kit.imports.reports import ErrorLine

# A duplicate rule → the columns that may hold its value, the customer's own first.
RULE_COLUMNS = {
    "ID_CARD": ("id_card_number",),
    "USCC": ("uscc",),
    "PHONE": ("phones", "contact_phone"),
    "EMAIL": ("emails", "contact_email"),
}


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
    if isinstance(exc, Conflict):
        return _duplicate(job, row, cells, exc, dup_of)
    return reports.refused(row, exc, column_of)


def error_lines(job: Job, results: list[RowResult]) -> list[ErrorLine]:
    """Each problem with its column's header as written in the file (a column the file does
    not have, e.g. a required custom field: its header in the caller's language)."""
    return reports.error_lines(job, results, ColumnSet.of(job.custom_fields).header_of)


def error_report(job: Job, results: list[RowResult], fmt: tables.FileFormat) -> bytes:
    return reports.error_report(error_lines(job, results), fmt, texts)
