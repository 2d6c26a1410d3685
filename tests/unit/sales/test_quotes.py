"""Quotes: figures in Decimal rounded as the currency is, yearly numbers, the status machine
(expiry read from the date), versions that supersede, and the discount approval rule; and the
documents' content."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader

from crm_sales import settings as sales_settings
from crm_sales.line_items.model import LineItemInput, price_lines
from crm_sales.opportunities.values import Changes, Opportunity, Status
from crm_sales.quotes import model
from crm_sales.quotes.documents import DocumentFormat, amount_text, document_of, file_name
from crm_sales.quotes.lines import overall_discount, quote_number, totals
from crm_sales.quotes.model import ApprovalStatus, Quote, QuoteStatus
from crm_sales.quotes.pdf import PdfFontMissing, PdfRenderer
from crm_sales.quotes.terms import (
    QuoteError,
    QuoteSettings,
    SettingsChanges,
    Terms,
    change_settings,
)
from crm_sales.quotes.xlsx import render_xlsx
from crm_sales.settings import DEFAULT_PDF_FONT
from tests.unit.sales.samples import ALICE, NOW, book, opportunity, product

SETTINGS = QuoteSettings()  # threshold 10 %, tax 13 %, 30 days
TODAY = NOW.date()
MANAGER = "staff-wang"


def deal(*lines: tuple[str, str | None, str | None], currency: str = "CNY") -> Opportunity:
    """An open deal with lines of (quantity, unit price override, discount percent)."""
    crm, svc = product(), product("SVC-YEAR", id="prod-2")
    items = tuple(
        LineItemInput("prod-1" if i % 2 == 0 else "prod-2", q, price, discount)
        for i, (q, price, discount) in enumerate(lines)
    )
    priced = price_lines(
        items,
        products={"prod-1": crm, "prod-2": svc},
        book=book((crm, "1299.00"), (svc, "800.00"), currency=currency),
        currency=currency,
    )
    return replace(opportunity(Changes(currency=currency)), line_items=priced)


def drafted(source: Opportunity | None = None, terms: Terms | None = None) -> Quote:
    return model.draft(
        terms or Terms(),
        id="q-1",
        year=2026,
        sequence=123,
        opportunity=source or deal(("2", None, "5"), ("1", None, None)),
        settings=SETTINGS,
        customer_name="杭州云帆科技有限公司",
        actor=ALICE,
        now=NOW,
    )


def sent(quote: Quote) -> Quote:
    return model.send(quote, threshold=Decimal(10), actor=ALICE, now=NOW)


# --- figures ---------------------------------------------------------------------------------


def test_totals_add_the_rounded_lines_then_round_the_tax_once() -> None:
    quote = drafted(deal(("3", "333.33", "7.5"), ("1", "0.01", None)))
    # 3 × 333.33 × 0.925 = 924.99075 → 924.99; + 0.01 → subtotal 925.00
    assert [line.total for line in quote.lines] == [Decimal("924.99"), Decimal("0.01")]
    figures = quote.totals
    assert figures.subtotal.text == "925.00"
    assert figures.tax.text == "120.25"  # 925.00 × 13 % = 120.25 exactly
    assert figures.total.text == "1045.25"
    assert figures.total.amount == figures.subtotal.amount + figures.tax.amount


def test_tax_rounds_half_even_to_the_currency_minor_unit() -> None:
    lines = drafted(deal(("1", "0.50", None))).lines
    # 0.50 × 5 % = 0.025 → 0.02 (half to even), not 0.03
    assert totals(lines, Decimal(5), "CNY").tax.text == "0.02"
    yen = drafted(deal(("1", "1005", None), currency="JPY"))
    assert totals(yen.lines, Decimal(10), "JPY").tax.text == "100"  # 100.5 → 100
    assert yen.totals.subtotal.text == "1005"


def test_the_overall_discount_counts_price_overrides_against_the_list_price() -> None:
    lines = drafted(deal(("1", "1000.00", None))).lines  # list price 1299.00
    assert overall_discount(lines).quantize(Decimal("0.01")) == Decimal("23.02")
    assert model.needs_approval(lines, Decimal(10))
    assert not model.needs_approval(lines, Decimal(25))


def test_numbers_are_per_year_and_zero_padded() -> None:
    assert quote_number(2026, 123) == "Q-2026-000123"
    assert quote_number(2027, 1) == "Q-2027-000001"
    assert quote_number(2026, 1_234_567) == "Q-2026-1234567"
    quote = drafted()
    assert (quote.number, quote.revision, quote.status) == ("Q-2026-000123", 1, QuoteStatus.DRAFT)
    assert file_name(quote, DocumentFormat.PDF) == "Q-2026-000123-v1.pdf"


def test_amounts_are_written_with_separators_and_the_minor_digits() -> None:
    assert amount_text(Decimal("1234567.5"), "CNY") == "1,234,567.50"
    assert amount_text(Decimal("1005"), "JPY") == "1,005"
    assert amount_text(Decimal("1.2345"), "KWD") == "1.234"


# --- drafting ---------------------------------------------------------------------------------


def test_a_draft_takes_the_settings_defaults_and_copies_the_lines() -> None:
    quote = drafted()
    assert quote.tax_rate == Decimal(13)
    assert quote.valid_until == TODAY + timedelta(days=30)
    assert quote.lines[0].name_zh == "客户管理专业版"
    assert quote.customer_name == "杭州云帆科技有限公司"


def test_a_closed_or_unpriced_deal_is_not_quoted() -> None:
    won = replace(deal(("1", None, None)), status=Status.WON)
    with pytest.raises(QuoteError) as refused:
        drafted(won)
    assert refused.value.codes == {"opportunityId": "OPPORTUNITY_CLOSED"}
    with pytest.raises(QuoteError) as empty:
        drafted(opportunity())
    assert empty.value.codes == {"opportunityId": "NO_LINE_ITEMS"}


def test_bad_terms_are_reported_together() -> None:
    terms = Terms(valid_until="2020-01-01", tax_rate="101", note="x" * 2001, customer_name=" ")
    with pytest.raises(QuoteError) as refused:
        drafted(terms=terms)
    assert refused.value.codes == {
        "validUntil": "IN_PAST",
        "taxRate": "OUT_OF_RANGE",
        "note": "TOO_LONG",
        "customerName": "REQUIRED",
    }
    with pytest.raises(QuoteError) as float_rate:
        drafted(terms=Terms(tax_rate=13.0))
    assert float_rate.value.codes == {"taxRate": "FLOAT_NOT_ALLOWED"}


# --- status machine ---------------------------------------------------------------------------


def test_draft_to_sent_to_accepted() -> None:
    quote = sent(drafted())
    assert quote.status is QuoteStatus.SENT and quote.version == 2
    assert model.allowed_next(quote, TODAY) == (QuoteStatus.ACCEPTED, QuoteStatus.REJECTED)
    accepted = model.accept(quote, actor=ALICE, now=NOW, opportunity_won=True)
    assert accepted.status is QuoteStatus.ACCEPTED and accepted.decision is not None
    assert accepted.decision.opportunity_won
    assert model.allowed_next(accepted, TODAY) == ()


def test_a_sent_quote_is_never_edited_and_answered_once() -> None:
    quote = sent(drafted())
    with pytest.raises(QuoteError) as edit:
        model.update_draft(quote, Terms(note="changed"), now=NOW)
    assert edit.value.codes == {"id": "NOT_DRAFT"}
    rejected = model.reject(quote, actor=ALICE, now=NOW, reason="价格太高")
    with pytest.raises(QuoteError) as again:
        model.accept(rejected, actor=ALICE, now=NOW, opportunity_won=False)
    assert again.value.codes == {"id": "NOT_SENT"}
    with pytest.raises(QuoteError) as draft:
        model.accept(drafted(), actor=ALICE, now=NOW, opportunity_won=False)
    assert draft.value.codes == {"id": "NOT_SENT"}


def test_a_sent_quote_past_its_validity_reads_expired_and_cannot_be_accepted() -> None:
    quote = sent(drafted(terms=Terms(valid_until=TODAY.isoformat())))
    assert quote.status_on(TODAY) is QuoteStatus.SENT  # its last day still counts
    tomorrow = TODAY + timedelta(days=1)
    assert quote.status_on(tomorrow) is QuoteStatus.EXPIRED
    assert model.allowed_next(quote, tomorrow) == ()
    with pytest.raises(QuoteError) as refused:
        model.accept(quote, actor=ALICE, now=NOW + timedelta(days=1), opportunity_won=False)
    assert refused.value.codes == {"id": "EXPIRED"}


def test_a_draft_past_its_date_must_get_a_new_date_before_it_is_sent() -> None:
    quote = drafted(terms=Terms(valid_until=TODAY.isoformat()))
    with pytest.raises(QuoteError) as refused:
        model.send(quote, threshold=Decimal(10), actor=ALICE, now=NOW + timedelta(days=1))
    assert refused.value.codes == {"validUntil": "IN_PAST"}


# --- versions ---------------------------------------------------------------------------------


def test_a_revision_supersedes_the_sent_quote_without_editing_it() -> None:
    first = sent(drafted())
    current = deal(("4", None, None))
    previous, second = model.revise(
        first, id="q-2", opportunity=current, settings=SETTINGS, actor=ALICE, now=NOW
    )
    assert (second.number, second.revision, second.status) == (first.number, 2, QuoteStatus.DRAFT)
    assert second.supersedes_id == "q-1" and second.lines[0].quantity == Decimal(4)
    assert previous.superseded_by_id == "q-2"
    assert (previous.status, previous.lines, previous.totals) == (
        first.status,
        first.lines,
        first.totals,
    )
    with pytest.raises(QuoteError) as twice:
        model.revise(
            previous, id="q-3", opportunity=current, settings=SETTINGS, actor=ALICE, now=NOW
        )
    assert twice.value.codes == {"id": "SUPERSEDED"}
    with pytest.raises(QuoteError) as superseded:
        model.accept(previous, actor=ALICE, now=NOW, opportunity_won=False)
    assert superseded.value.codes == {"id": "SUPERSEDED"}


def test_drafts_and_accepted_quotes_are_not_revised() -> None:
    accepted = model.accept(sent(drafted()), actor=ALICE, now=NOW, opportunity_won=False)
    for quote in (drafted(), accepted):
        with pytest.raises(QuoteError) as refused:
            model.revise(
                quote, id="q-2", opportunity=deal(("1", None, None)), settings=SETTINGS,
                actor=ALICE, now=NOW,
            )  # fmt: skip
        assert refused.value.codes == {"id": "NOT_REVISABLE"}


# --- approval ---------------------------------------------------------------------------------


def test_a_discount_above_the_threshold_needs_an_approval_before_sending() -> None:
    quote = drafted(deal(("1", None, "15")))
    assert model.approval_status(quote, Decimal(10)) is ApprovalStatus.REQUIRED
    with pytest.raises(QuoteError) as refused:
        sent(quote)
    assert refused.value.codes == {"id": "APPROVAL_REQUIRED"}
    asked = model.request_approval(quote, threshold=Decimal(10), actor=ALICE, now=NOW)
    assert model.approval_status(asked, Decimal(10)) is ApprovalStatus.REQUESTED
    with pytest.raises(QuoteError):
        sent(asked)
    approved = model.approve(
        asked, threshold=Decimal(10), actor=MANAGER, now=NOW, note="战略客户", own_allowed=False
    )
    assert model.approval_status(approved, Decimal(10)) is ApprovalStatus.APPROVED
    assert sent(approved).status is QuoteStatus.SENT


def test_a_discount_at_the_threshold_needs_none() -> None:
    quote = drafted(deal(("1", None, "10")))
    assert model.approval_status(quote, Decimal(10)) is ApprovalStatus.NOT_REQUIRED
    with pytest.raises(QuoteError) as refused:
        model.request_approval(quote, threshold=Decimal(10), actor=ALICE, now=NOW)
    assert refused.value.codes == {"id": "APPROVAL_NOT_NEEDED"}
    assert sent(quote).sending is not None


def test_authors_do_not_approve_their_own_quotes_unless_admin() -> None:
    quote = drafted(deal(("1", None, "20")))
    with pytest.raises(QuoteError) as refused:
        model.approve(
            quote, threshold=Decimal(10), actor=ALICE, now=NOW, note=None, own_allowed=False
        )
    assert refused.value.codes == {"id": "SELF_APPROVAL"}
    admin = model.approve(
        quote, threshold=Decimal(10), actor=ALICE, now=NOW, note=None, own_allowed=True
    )
    assert admin.approval is not None and admin.approval.approved_by == ALICE


def test_a_sent_quote_keeps_the_threshold_it_was_sent_under() -> None:
    quote = sent(drafted(deal(("1", None, "8"))))
    assert model.approval_status(quote, Decimal(5)) is ApprovalStatus.NOT_REQUIRED


# --- settings ---------------------------------------------------------------------------------


def test_settings_changes_are_checked_and_versioned() -> None:
    changed = change_settings(
        SETTINGS,
        SettingsChanges(discount_threshold="0", default_tax_rate="6", company_name=" 云帆 "),
        actor="alice",
        now=NOW,
    )
    assert (changed.discount_threshold, changed.default_tax_rate) == (Decimal(0), Decimal(6))
    assert (changed.company_name, changed.version, changed.validity_days) == ("云帆", 1, 30)
    with pytest.raises(QuoteError) as refused:
        change_settings(
            changed,
            SettingsChanges(discount_threshold="10.123", validity_days=0),
            actor="alice",
            now=NOW,
        )
    assert refused.value.codes == {"discountThreshold": "PRECISION", "validityDays": "OUT_OF_RANGE"}


# --- documents --------------------------------------------------------------------------------


def test_the_document_and_the_workbook_hold_the_quote() -> None:
    quote = sent(drafted(deal(("2", None, "5"))))
    doc = document_of(quote, SETTINGS, customer_name=quote.customer_name, today=TODAY)
    assert (doc.heading, doc.status) == ("Q-2026-000123 第 1 版 Version 1", "已发送 Sent")
    # 2 × 1299.00 × 0.95 = 2468.10; tax 320.853 → 320.85
    assert doc.money(doc.total.amount) == "2,788.95"
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(doc))).active
    values = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert ["报价单号 Number", "Q-2026-000123"] in values
    assert ["客户 Customer", "杭州云帆科技有限公司"] in values
    assert ["合计 Total (CNY)", 2788.95] in values
    assert render_xlsx(doc) == render_xlsx(doc)  # stable bytes


def test_the_pdf_text_layer_holds_the_chinese_name_and_the_total() -> None:
    quote = sent(drafted(deal(("2", None, "5"), ("1", None, None))))
    doc = document_of(quote, SETTINGS, customer_name=quote.customer_name, today=TODAY)
    data = PdfRenderer(DEFAULT_PDF_FONT).render(doc)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "杭州云帆科技有限公司" in text
    assert "客户管理专业版" in text
    assert f"{doc.money(doc.total.amount)} CNY" in text
    assert "Q-2026-000123" in text
    assert PdfRenderer(DEFAULT_PDF_FONT).render(doc) == data  # the same content, the same bytes


def test_a_missing_font_refuses_the_pdf_with_a_typed_error() -> None:
    doc = document_of(drafted(), SETTINGS, customer_name="云帆", today=TODAY)
    renderer = PdfRenderer("/nonexistent/fonts/cjk.ttc")
    assert not renderer.available()
    with pytest.raises(PdfFontMissing) as missing:
        renderer.render(doc)
    assert missing.value.extensions == {
        "code": "INTERNAL_SERVER_ERROR",
        "reason": "PDF_FONT_MISSING",
    }


def test_the_pdf_font_is_a_setting() -> None:
    assert sales_settings.from_env({}).pdf_font == DEFAULT_PDF_FONT
    chosen = sales_settings.from_env({"SALES_PDF_FONT": " /opt/fonts/noto-cjk.ttc "})
    assert chosen.pdf_font == "/opt/fonts/noto-cjk.ttc"
    with pytest.raises(sales_settings.ConfigError):
        sales_settings.from_env({"SALES_PDF_FONT": " "})
