"""The quote as a PDF (ReportLab), its Chinese text set in a CJK TrueType font embedded as a
subset, so every reader shows it and its text layer can be searched and copied.

The font is a file on the host, `SALES_PDF_FONT` (WenQuanYi Micro Hei from Debian's
`fonts-wqy-microhei` by default, `crm_sales.settings`; a `.ttc` collection's first face is
used). It is read once per
process, when the first PDF is made. When it is missing or unreadable, asking for a PDF is
refused with a typed error (`PdfFontMissing`: code INTERNAL_SERVER_ERROR, `reason`
PDF_FONT_MISSING) and the service logs it once; XLSX documents still work. The same content
gives the same bytes (ReportLab's invariant mode: no creation time, a fixed document id).
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from crm_kit.errors import CrmError, ErrorCode
from crm_sales.quotes.documents import LINE_HEADER, TITLE, QuoteDocument, percent_text

_FONT_NAME = "CrmQuoteCJK"
_WIDTHS = [26 * mm, 54 * mm, 16 * mm, 12 * mm, 24 * mm, 16 * mm, 26 * mm]
_GRID = colors.HexColor("#9aa5b1")
_SHADE = colors.HexColor("#eef1f4")

_log = logging.getLogger("crm_sales.quotes")
_lock = threading.Lock()
_loaded: dict[str, str] = {}  # font path → registered font name
_reported: set[str] = set()  # font paths whose absence was logged


class PdfFontMissing(CrmError):
    """The CJK font the PDF needs is not installed: a deployment problem, not the caller's."""

    code = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self) -> None:
        super().__init__(
            "The quote PDF cannot be made: its font (SALES_PDF_FONT) is not installed",
            message_key="quote.PDF_FONT_MISSING",
            reason="PDF_FONT_MISSING",
        )


@dataclass(frozen=True, slots=True)
class _Styles:
    company: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    number: ParagraphStyle
    small: ParagraphStyle


def _styles(font: str) -> _Styles:
    def style(name: str, size: float, **more: object) -> ParagraphStyle:
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.35, **more)

    return _Styles(
        company=style("company", 13),
        title=style("title", 18, spaceBefore=4, spaceAfter=2),
        heading=style("heading", 11, spaceAfter=6),
        body=style("body", 9),
        number=style("number", 9, alignment=TA_RIGHT),
        small=style("small", 8, textColor=colors.HexColor("#44505c")),
    )


def _report_once(path: str, problem: str) -> None:
    with _lock:
        if path in _reported:
            return
        _reported.add(path)
    _log.error(
        "quote PDF font unusable: %s (set SALES_PDF_FONT; apt-get install fonts-wqy-microhei)",
        problem,
        extra={"fields": {"font": path}},
    )


class PdfRenderer:
    def __init__(self, font_path: str) -> None:
        self.font_path = font_path

    def available(self) -> bool:
        """Whether the font file is there (its absence logged once): for the service's start."""
        try:
            self.check()
        except PdfFontMissing:
            return False
        return True

    def check(self) -> None:
        """PdfFontMissing (logged once) unless the font file is there."""
        if not Path(self.font_path).is_file():
            _report_once(self.font_path, "no such file")
            raise PdfFontMissing

    def _font(self) -> str:
        self.check()
        with _lock:
            found = _loaded.get(self.font_path)
            if found is not None:
                return found
            name = f"{_FONT_NAME}{len(_loaded)}"
            try:
                pdfmetrics.registerFont(TTFont(name, self.font_path, subfontIndex=0))
            except (TTFError, OSError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                _loaded[self.font_path] = name
                return name
        _report_once(self.font_path, problem)
        raise PdfFontMissing

    def render(self, doc: QuoteDocument) -> bytes:
        """The PDF bytes of `doc` (CPU-bound: run it off the event loop)."""
        styles = _styles(self._font())
        out = io.BytesIO()
        template = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=16 * mm,
            title=f"{doc.number} v{doc.revision}",
            author=doc.company or "CRM",
            invariant=1,
        )
        template.build(_story(doc, styles))
        return out.getvalue()


def _text(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(value), style)


def _story(doc: QuoteDocument, styles: _Styles) -> list[Flowable]:
    story: list[Flowable] = []
    if doc.company:
        story.append(_text(doc.company, styles.company))
    story += [_text(TITLE, styles.title), _text(doc.heading, styles.heading)]
    story += [_facts(doc, styles), Spacer(1, 5 * mm), _lines(doc, styles), Spacer(1, 3 * mm)]
    story += [_totals(doc, styles), Spacer(1, 5 * mm), _text(doc.approval, styles.small)]
    if doc.superseded:
        story.append(_text("本版已被新版本取代 Superseded by a newer version", styles.small))
    if doc.note:
        story += [Spacer(1, 2 * mm), _text(f"备注 Note: {doc.note}", styles.body)]
    return story


def _facts(doc: QuoteDocument, styles: _Styles) -> Table:
    rows = [
        ("客户 Customer", doc.customer_name),
        ("报价日期 Date", doc.quote_date.isoformat()),
        ("有效期至 Valid until", doc.valid_until.isoformat()),
        ("状态 Status", doc.status),
        ("币种 Currency", doc.currency),
    ]
    table = Table(
        [[_text(k, styles.small), _text(v, styles.body)] for k, v in rows],
        colWidths=[36 * mm, 138 * mm],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _product(zh: str, en: str, styles: _Styles) -> Paragraph:
    text = escape(zh)
    if en and en != zh:
        text += f"<br/><font size=7>{escape(en)}</font>"
    return Paragraph(text, styles.body)


def _lines(doc: QuoteDocument, styles: _Styles) -> Table:
    rows: list[list[Flowable]] = [[_text(h, styles.small) for h in LINE_HEADER]]
    for line in doc.lines:
        rows.append(
            [
                _text(line.code, styles.body),
                _product(line.name_zh, line.name_en, styles),
                _text(f"{line.quantity.normalize():f}", styles.number),
                _text(line.unit, styles.body),
                _text(doc.money(line.unit_price), styles.number),
                _text(percent_text(line.discount_percent), styles.number),
                _text(doc.money(line.total), styles.number),
            ]
        )
    table = Table(rows, colWidths=_WIDTHS, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
                ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _totals(doc: QuoteDocument, styles: _Styles) -> Table:
    rows = [
        ("小计 Subtotal", doc.money(doc.subtotal.amount)),
        (f"税额 Tax ({percent_text(doc.tax_rate)})", doc.money(doc.tax.amount)),
        (f"合计 Total ({doc.currency})", f"{doc.money(doc.total.amount)} {doc.currency}"),
    ]
    table = Table(
        [[_text(k, styles.body), _text(v, styles.number)] for k, v in rows],
        colWidths=[44 * mm, 40 * mm],
        hAlign="RIGHT",
    )
    table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)]))
    return table
