"""What a quote document shows, whatever its format: the company, the quote's number and
version, whom it is addressed to, its dates, its lines with Chinese and English product names,
subtotal, tax and total in its currency, and where its discount approval stands. Pure: the PDF
(`pdf`) and the workbook (`xlsx`) lay this out.

Amounts are written with thousands separators and exactly the currency's minor digits
(`12,345.60`), from the quote's `Decimal`s; nothing is converted to a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from crm_sales.money.model import CURRENCIES, Money
from crm_sales.quotes.lines import overall_discount
from crm_sales.quotes.model import ApprovalStatus, Quote, QuoteStatus, approval_status
from crm_sales.quotes.terms import QuoteSettings


class DocumentFormat(StrEnum):
    PDF = "PDF"
    XLSX = "XLSX"


CONTENT_TYPES = {
    DocumentFormat.PDF: "application/pdf",
    DocumentFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TITLE = "报价单 Quotation"
LINE_HEADER = (
    "编码 Code",
    "产品 Product",
    "数量 Qty",
    "单位 Unit",
    "单价 Unit price",
    "折扣 Discount",
    "金额 Amount",
)
_STATUS_TEXT = {
    QuoteStatus.DRAFT: "草稿 Draft",
    QuoteStatus.SENT: "已发送 Sent",
    QuoteStatus.ACCEPTED: "已接受 Accepted",
    QuoteStatus.REJECTED: "已拒绝 Rejected",
    QuoteStatus.EXPIRED: "已过期 Expired",
}


def amount_text(value: Decimal, currency: str) -> str:
    """`12,345.60`: thousands separators, the currency's minor digits."""
    places = CURRENCIES[currency].minor_units
    return f"{value:,.{places}f}"


def percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def file_name(quote: Quote, fmt: DocumentFormat) -> str:
    """`Q-2026-000123-v2.pdf`."""
    return f"{quote.number}-v{quote.revision}.{fmt.lower()}"


@dataclass(frozen=True, slots=True)
class DocumentLine:
    code: str
    name_zh: str
    name_en: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_percent: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class QuoteDocument:
    """The content of a quote document; texts are final (the name already masked for a
    reader who may not see names)."""

    company: str
    number: str
    revision: int
    status: str
    customer_name: str
    quote_date: date
    valid_until: date
    currency: str
    lines: tuple[DocumentLine, ...]
    tax_rate: Decimal
    subtotal: Money
    tax: Money
    total: Money
    approval: str
    note: str
    superseded: bool

    def money(self, value: Decimal) -> str:
        return amount_text(value, self.currency)

    @property
    def heading(self) -> str:
        return f"{self.number} 第 {self.revision} 版 Version {self.revision}"


def _approval_text(quote: Quote, settings: QuoteSettings) -> str:
    state = approval_status(quote, settings.discount_threshold)
    approval = quote.approval
    if state is ApprovalStatus.APPROVED and approval is not None and approval.approved_at:
        day = approval.approved_at.date().isoformat()
        return f"折扣已审批 Discount approved: {approval.approved_by}, {day}"
    if state is ApprovalStatus.NOT_REQUIRED:
        return "折扣无需审批 Discount within the approval threshold"
    discount = percent_text(overall_discount(quote.lines).quantize(Decimal("0.01")))
    return f"折扣待审批 Discount awaiting approval (overall {discount})"


def document_of(
    quote: Quote, settings: QuoteSettings, *, customer_name: str, today: date
) -> QuoteDocument:
    """The document of `quote` as it reads on `today` (`customer_name` as the reader may see
    it)."""
    figures = quote.totals
    sent = quote.sending.at.date() if quote.sending is not None else None
    return QuoteDocument(
        company=settings.company_name,
        number=quote.number,
        revision=quote.revision,
        status=_STATUS_TEXT[quote.status_on(today)],
        customer_name=customer_name or "—",
        quote_date=sent or quote.created_at.date(),
        valid_until=quote.valid_until,
        currency=quote.currency,
        lines=tuple(
            DocumentLine(
                line.product_code,
                line.name_zh,
                line.name_en,
                line.quantity,
                line.unit,
                line.unit_price,
                line.discount_percent,
                line.total,
            )
            for line in quote.lines
        ),
        tax_rate=quote.tax_rate,
        subtotal=figures.subtotal,
        tax=figures.tax,
        total=figures.total,
        approval=_approval_text(quote, settings),
        note=quote.note or "",
        superseded=quote.superseded_by_id is not None,
    )
