"""The quote as a workbook (openpyxl): one sheet with the quote's facts, its lines and its
totals. Quantities, prices, discounts and amounts are numeric cells holding the quote's
decimals (formatted with the currency's minor digits), so the figures can be summed again; the
same content gives the same bytes (fixed document and ZIP entry times)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from crm_sales.money.model import CURRENCIES
from crm_sales.quotes.documents import LINE_HEADER, TITLE, QuoteDocument

SHEET = "报价单"
STABLE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_DOC_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
_BOLD = Font(bold=True)
_SHADE = PatternFill("solid", fgColor="EEF1F4")
_WIDTHS = {"A": 18, "B": 36, "C": 24, "D": 10, "E": 10, "F": 16, "G": 12, "H": 18}


def _money_format(currency: str) -> str:
    places = CURRENCIES[currency].minor_units
    return "#,##0" + ("." + "0" * places if places else "")


def _facts(sheet: Worksheet, doc: QuoteDocument) -> None:
    if doc.company:
        sheet.append([doc.company])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=13)
    sheet.append([TITLE])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=16)
    rows: list[tuple[str, object]] = [
        ("报价单号 Number", doc.number),
        ("版本 Version", doc.revision),
        ("客户 Customer", doc.customer_name),
        ("报价日期 Date", doc.quote_date.isoformat()),
        ("有效期至 Valid until", doc.valid_until.isoformat()),
        ("状态 Status", doc.status),
        ("币种 Currency", doc.currency),
    ]
    for label, value in rows:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = _BOLD
    sheet.append([])


def _lines(sheet: Worksheet, doc: QuoteDocument) -> None:
    code, product, *rest = LINE_HEADER
    sheet.append([code, product, "Product (English)", *rest])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = _BOLD, _SHADE
    money = _money_format(doc.currency)
    for line in doc.lines:
        sheet.append(
            [
                line.code,
                line.name_zh,
                line.name_en,
                line.quantity,
                line.unit,
                line.unit_price,
                line.discount_percent / Decimal(100),
                line.total,
            ]
        )
        row = sheet.max_row
        sheet.cell(row, 6).number_format = money
        sheet.cell(row, 7).number_format = "0.00%"
        sheet.cell(row, 8).number_format = money
    sheet.append([])


def _totals(sheet: Worksheet, doc: QuoteDocument) -> None:
    money = _money_format(doc.currency)
    rows = [
        ("小计 Subtotal", doc.subtotal.amount),
        (f"税额 Tax ({doc.tax_rate.normalize():f}%)", doc.tax.amount),
        (f"合计 Total ({doc.currency})", doc.total.amount),
    ]
    for label, value in rows:
        sheet.append(["", "", "", "", "", "", label, value])
        row = sheet.max_row
        sheet.cell(row, 7).font = _BOLD
        sheet.cell(row, 8).number_format = money
    sheet.append([])
    sheet.append([doc.approval])
    if doc.superseded:
        sheet.append(["本版已被新版本取代 Superseded by a newer version"])
    if doc.note:
        sheet.append([f"备注 Note: {doc.note}"])


def render_xlsx(doc: QuoteDocument) -> bytes:
    """The workbook bytes of `doc`."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    _facts(sheet, doc)
    _lines(sheet, doc)
    _totals(sheet, doc)
    for column, width in _WIDTHS.items():
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column == 2)
    out = io.BytesIO()
    book.save(out)
    return _with_fixed_times(out.getvalue())


def _with_fixed_times(data: bytes) -> bytes:
    """The workbook with its created/modified times and every ZIP entry's date fixed
    (openpyxl writes the time of saving)."""
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
