"""The texts (zh-CN, English) of the codes this package reports: the file problems an upload is
refused with (`file` field errors) and the row codes every service's import shares. A service
adds them to its catalogue (its own texts for a code win), so its row errors, error reports and
refusals read in the caller's language.

The header problems (MISSING_COLUMNS, UNKNOWN_COLUMNS, REPEATED_COLUMNS) are not here: their
messages name the columns and are written in the caller's language when raised
(`columns.ColumnTable.resolve_header`)."""

from __future__ import annotations

FILE_MESSAGES: dict[str, tuple[str, str]] = {
    "EMPTY_FILE": ("文件为空或没有数据行", "The file is empty or has no data rows"),
    "UNSUPPORTED_FILE_TYPE": ("仅支持 CSV 和 XLSX 文件", "Only CSV and XLSX files are supported"),
    "FILE_TOO_LARGE": ("文件过大", "The file is too large"),
    "TOO_MANY_ROWS": ("文件行数过多", "The file has too many rows"),
    "TOO_MANY_COLUMNS": ("文件列数过多", "The file has too many columns"),
}

ROW_MESSAGES: dict[str, tuple[str, str]] = {
    "DUPLICATE_IN_FILE": ("与文件中前面的行重复", "Duplicates an earlier row of this file"),
    "INVALID_DATE": ("日期格式应为 YYYY-MM-DD", "Dates are written YYYY-MM-DD"),
    "STALE": ("记录同时被他人修改", "The record was changed at the same time"),
    "FORBIDDEN": ("无权执行此操作", "Not allowed"),
    "ERROR": ("处理该行时出错", "This row could not be processed"),
}

# The codes `tables` and `columns` raise as `file` field errors (a test holds them to this).
RAISED_FILE_CODES = frozenset(
    {*FILE_MESSAGES, "MISSING_COLUMNS", "UNKNOWN_COLUMNS", "REPEATED_COLUMNS"}
)
