"""Reading uploaded tables (CSV, XLSX) and writing downloadable ones, safely; shared by every
service's imports, exports, templates and error reports.

The type is decided by the content, not the name: an XLSX is a ZIP holding
``xl/workbook.xml``; a CSV is text (UTF-8 with or without BOM, or GB18030 as saved by Chinese
Excel) without NUL bytes. Legacy ``.xls``, other ZIPs, images, PDFs … are refused. An XLSX is
checked for its uncompressed size before it is opened (no ZIP bombs).

Cells written to files are never formulas. An XLSX cell is a typed text cell, so its value is
written as it is (a phone stays ``+8613800138000``, an ID number keeps its digits). A CSV has no
types: a value starting with ``= + - @``, a tab or a carriage return gets a leading ``'``, and
the importer strips that quote again, so an export re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell

from crm_kit.errors import BadUserInput

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 256  # a file's columns: every service's fixed ones and its custom fields fit
MAX_UNCOMPRESSED_RATIO = 50
ALLOWED_EXTENSIONS = (".csv", ".txt", ".xlsx")
STABLE_TIME = datetime(2024, 1, 1, tzinfo=UTC)  # of files rendered anew for every download
_DOC_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
CONTENT_TYPES = {
    "CSV": "text/csv; charset=utf-8",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class FileFormat(StrEnum):
    CSV = "CSV"
    XLSX = "XLSX"


def file_problem(code: str, message: str) -> BadUserInput:
    """BAD_USER_INPUT naming the `file` (its codes: `messages.RAISED_FILE_CODES`)."""
    return BadUserInput.single("file", code, message)


def detect(data: bytes, filename: str = "") -> FileFormat:
    """The format of an upload, judged by its bytes; BAD_USER_INPUT when unusable."""
    name = filename.lower()
    if name and "." in name and not name.endswith(ALLOWED_EXTENSIONS):
        raise file_problem("UNSUPPORTED_FILE_TYPE", "Only .csv and .xlsx files can be imported")
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise file_problem("EMPTY_FILE", "The file is empty")
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                unpacked = sum(i.file_size for i in archive.infolist())
        except zipfile.BadZipFile as exc:
            raise file_problem("UNSUPPORTED_FILE_TYPE", "The file is a damaged ZIP/XLSX") from exc
        if "xl/workbook.xml" not in names:
            raise file_problem("UNSUPPORTED_FILE_TYPE", "The ZIP file is not an XLSX workbook")
        if unpacked > max(len(data), 1) * MAX_UNCOMPRESSED_RATIO + 1_000_000:
            raise file_problem("FILE_TOO_LARGE", "The workbook unpacks to too much data")
        return FileFormat.XLSX
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_problem(
            "UNSUPPORTED_FILE_TYPE", "Legacy .xls files are not supported; save as .xlsx"
        )
    if b"\x00" in data[:65536] or decode_text(data) is None:
        raise file_problem(
            "UNSUPPORTED_FILE_TYPE", "The file is neither CSV text nor an XLSX workbook"
        )
    if name.endswith(".xlsx"):
        raise file_problem("UNSUPPORTED_FILE_TYPE", "The file is named .xlsx but is not a workbook")
    return FileFormat.CSV


def decode_text(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text[:65536]):
            return text
    return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def unquote(value: str) -> str:
    """Undo `neutralise` on the way in: ``'=x`` → ``=x``."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def _xlsx_rows(data: bytes, add: Callable[[int, list[str]], None]) -> None:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken workbooks
        raise file_problem("UNSUPPORTED_FILE_TYPE", "The workbook cannot be read") from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            add(number, [_cell_text(v) for v in values])
    finally:
        book.close()


def _csv_rows(data: bytes, add: Callable[[int, list[str]], None]) -> None:
    text = decode_text(data) or ""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
        add(number, cells)


def read_upload(
    data: bytes, filename: str, *, max_bytes: int, max_rows: int
) -> tuple[FileFormat, list[tuple[int, list[str]]]]:
    """An upload's format and table (`read_table`); BAD_USER_INPUT `file` FILE_TOO_LARGE
    above `max_bytes`, and the problems `detect` and `read_table` find."""
    if len(data) > max_bytes:
        raise file_problem("FILE_TOO_LARGE", f"The file is larger than {max_bytes} bytes")
    fmt = detect(data, filename)
    return fmt, read_table(data, fmt, max_rows)


def read_table(data: bytes, fmt: FileFormat, max_rows: int) -> list[tuple[int, list[str]]]:
    """(file row number, cells) for the header and every non-blank row after it."""
    rows: list[tuple[int, list[str]]] = []

    def add(number: int, cells: list[str]) -> None:
        if len(cells) > MAX_COLUMNS:
            raise file_problem("TOO_MANY_COLUMNS", f"At most {MAX_COLUMNS} columns")
        if any(c.strip() for c in cells):
            if len(rows) > max_rows:
                raise file_problem("TOO_MANY_ROWS", f"At most {max_rows} rows per file")
            rows.append((number, [unquote(c.strip()) for c in cells]))

    (_xlsx_rows if fmt is FileFormat.XLSX else _csv_rows)(data, add)
    if not rows:
        raise file_problem("EMPTY_FILE", "The file is empty")
    if len(rows) == 1:
        raise file_problem("EMPTY_FILE", "The file has a header row but no data rows")
    return rows


# --- writing --------------------------------------------------------------------------------


def neutralise(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def to_csv(rows: list[list[str]]) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese text correctly), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return out.getvalue().encode("utf-8-sig")


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    """A string cell whatever the value looks like (``=…`` stays text, not a formula)."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def to_xlsx(sheets: list[tuple[str, list[list[str]]]], *, stable: bool = False) -> bytes:
    """A workbook with one sheet per (title, rows); every cell is a text cell. `stable`: the
    same rows give the same bytes (fixed document and ZIP entry times), for files rendered
    again on each download."""
    book = openpyxl.Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title=title)
        for row in rows:
            sheet.append([_text_cell(sheet, c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return _with_fixed_times(out.getvalue()) if stable else out.getvalue()


def _with_fixed_times(data: bytes) -> bytes:
    """The workbook with its created/modified times and every ZIP entry's date set to
    STABLE_TIME (openpyxl writes the time of saving)."""
    out = io.BytesIO()
    stamp = STABLE_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = _DOC_TIMES.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=STABLE_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, content)
    return out.getvalue()


def render(fmt: FileFormat, rows: list[list[str]], title: str, *, stable: bool = False) -> bytes:
    """`rows` as a CSV or a one-sheet workbook (`stable`: see `to_xlsx`)."""
    if fmt is FileFormat.CSV:
        return to_csv(rows)
    return to_xlsx([(title, rows)], stable=stable)
