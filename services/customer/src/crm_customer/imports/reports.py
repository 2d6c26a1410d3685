"""The per-row error report of an import (pure): lines, and the file for download."""

from __future__ import annotations

from dataclasses import dataclass

from crm_customer.imports import files
from crm_customer.imports.columns import BY_KEY
from crm_customer.imports.model import Job, RowResult, texts

REPORT_HEADER = ["行号 Row", "列 Column", "代码 Code", "说明", "Message"]


@dataclass(frozen=True, slots=True)
class ErrorLine:
    row: int
    column: str
    code: str
    customer_id: str | None


def error_lines(job: Job, results: list[RowResult]) -> list[ErrorLine]:
    lines: list[ErrorLine] = []
    for result in sorted(results, key=lambda r: r.row):
        for key, code in result.errors:
            header = job.headers.get(key) or (BY_KEY[key].zh if key in BY_KEY else key)
            lines.append(ErrorLine(result.row, header, code, result.customer_id))
    return lines


def error_report(job: Job, results: list[RowResult], fmt: files.FileFormat) -> bytes:
    rows = [REPORT_HEADER]
    for line in error_lines(job, results):
        zh, en = texts(line.code)
        rows.append([str(line.row), line.column, line.code, zh, en])
    return files.render(fmt, rows, "errors")
