"""How refused import rows are reported (pure): a row's result from its refusal, the error
lines in row order, a page of them for the API, and the error report file.

A dry run and the real run of a file report a row alike because both build its result here
from the same refusal: a domain field error (its path → the service's column), a row problem
found before the use case, a refusal of access, or anything else (ERROR)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from crm_kit.errors import BadUserInput, CrmError, Forbidden
from crm_kit.imports import tables
from crm_kit.imports.model import Job, Outcome, RowProblem, RowResult
from crm_kit.paging import decode_position, encode_position

REPORT_HEADER = ["行号 Row", "列 Column", "代码 Code", "说明", "Message"]

type ColumnOf = Callable[[str], str]  # a domain field error's path → the column key
type Texts = Callable[[str], tuple[str, str]]  # a code → its (zh, en) message


def row_errors(exc: BadUserInput, column_of: ColumnOf) -> list[tuple[str, str]]:
    """(column key, code) for each field error of a row."""
    return [(column_of(e.field), e.code) for e in exc.field_errors]


def refused(row: int, exc: CrmError | RowProblem, column_of: ColumnOf) -> RowResult:
    """The result of a row refused with `exc` (a service handles its duplicates first)."""
    if isinstance(exc, BadUserInput):
        return RowResult(row, Outcome.FAILED, errors=row_errors(exc, column_of))
    if isinstance(exc, RowProblem):
        return RowResult(row, Outcome.FAILED, errors=[(exc.column, exc.code)])
    if isinstance(exc, Forbidden):
        return RowResult(row, Outcome.FAILED, errors=[("", "FORBIDDEN")])
    return RowResult(row, Outcome.FAILED, errors=[("", "ERROR")])


@dataclass(frozen=True, slots=True)
class ErrorLine:
    row: int
    column: str
    code: str
    record_id: str | None


def error_lines(
    job: Job, results: list[RowResult], header_of: Callable[[str], str]
) -> list[ErrorLine]:
    """Each problem with its column's header as written in the file (a column the file does
    not have: `header_of` its key, in the caller's language)."""
    lines: list[ErrorLine] = []
    for result in sorted(results, key=lambda r: r.row):
        for key, code in result.errors:
            header = job.headers.get(key) or header_of(key)
            lines.append(ErrorLine(result.row, header, code, result.record_id))
    return lines


def error_report(lines: list[ErrorLine], fmt: tables.FileFormat, texts: Texts) -> bytes:
    """The report file: one line per problem (row, column, code, zh, en)."""
    rows = [REPORT_HEADER]
    for line in lines:
        zh, en = texts(line.code)
        rows.append([str(line.row), line.column, line.code, zh, en])
    return tables.render(fmt, rows, "errors", stable=True)  # rendered again for each download


def texts_in(*catalogues: Mapping[str, tuple[str, str]]) -> Texts:
    """(zh, en) of a code: from the first catalogue that has it; the code itself if none."""

    def texts(code: str) -> tuple[str, str]:
        return next((c[code] for c in catalogues if code in c), (code, code))

    return texts


@dataclass(frozen=True, slots=True)
class ErrorPage:
    """A page of an import's problems: each with its cursor, whether more follow, and how
    many there are over all pages."""

    lines: list[tuple[str, ErrorLine]]
    has_next: bool
    total: int


def error_page(lines: list[ErrorLine], size: int, after: str | None, cursors: str) -> ErrorPage:
    """The problems after the one `after` names (a row may have several: a problem is its row
    and its place among the row's problems), at most `size`; `cursors` names the list the
    cursors belong to (BAD_USER_INPUT `after` INVALID_CURSOR for another's)."""
    start = (0, -1)
    if after is not None:
        row, n = decode_position(after, (int, int), cursors)
        start = (row, n)
    seen: dict[int, int] = {}
    positioned: list[tuple[int, ErrorLine]] = []
    for line in lines:
        n = seen[line.row] = seen.get(line.row, -1) + 1
        if (line.row, n) > start:
            positioned.append((n, line))
    page = [(encode_position([line.row, n], cursors), line) for n, line in positioned[:size]]
    return ErrorPage(page, len(positioned) > size, len(lines))
