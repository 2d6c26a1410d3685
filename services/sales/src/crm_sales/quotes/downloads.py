"""A quote's documents: the signed links the API hands out (`Quote.pdfLink` / `xlsxLink`) and
what such a link opens (`quotes.routes` serves it).

A document is rendered when it is downloaded, from the quote as it is stored (a sent quote
never changes, so neither does its document) and the settings' company name; the same data
give the same bytes. Before rendering, the caller the link was made for must still read the
quote's opportunity (`crm_sales.access`, as `quote(id)` checks): FORBIDDEN otherwise,
NOT_FOUND when the quote or its deal is gone. The name it is addressed to is masked for a
reader who may not see names, as in the API. Rendering runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from crm_kit.auth import Principal
from crm_kit.errors import Forbidden, NotFound
from crm_kit.file_links import FileLink
from crm_kit.personal import PersonalKind, shown_as, visibility_of
from crm_kit.policy import Action
from crm_sales import access
from crm_sales.opportunities.queries import OpportunityQueries
from crm_sales.quotes.documents import (
    CONTENT_TYPES,
    DocumentFormat,
    QuoteDocument,
    document_of,
    file_name,
)
from crm_sales.quotes.links import QuoteLinks, SignedUrl, link_format, link_principal
from crm_sales.quotes.model import Quote
from crm_sales.quotes.pdf import PdfRenderer
from crm_sales.quotes.queries import QuoteQueries
from crm_sales.quotes.xlsx import render_xlsx
from crm_sales.shared.clock import Clock, day_of


@dataclass(frozen=True, slots=True)
class OpenedQuote:
    name: str
    content_type: str
    data: bytes
    details: dict[str, Any]  # for the audit record: number, version, format, size


@dataclass(frozen=True, slots=True)
class QuoteFiles:
    links: QuoteLinks
    pdf: PdfRenderer
    quotes: QuoteQueries
    opportunities: OpportunityQueries
    clock: Clock

    def link(self, principal: Principal, quote: Quote, fmt: DocumentFormat) -> SignedUrl:
        """A link to the quote's document for its reader (a PDF without its font installed:
        PdfFontMissing, before any link is made)."""
        if fmt is DocumentFormat.PDF:
            self.pdf.check()
        return self.links.sign(principal, quote.id, fmt)

    async def open(self, link: FileLink) -> OpenedQuote:
        """The document a verified link names (NOT_FOUND, FORBIDDEN, PdfFontMissing)."""
        fmt = link_format(link)
        reader = link_principal(link)
        quote = await self.quotes.get(link.resource)
        if quote is None:
            raise NotFound("Quote", link.resource)
        deal = await self.opportunities.get(quote.opportunity_id)
        if deal is None:
            raise NotFound("Opportunity", quote.opportunity_id)
        if not access.can(reader, Action.READ, deal.opportunity):
            raise Forbidden("The link's holder may not read this quote")
        doc = await self.document(reader, quote)
        data = await asyncio.to_thread(self._render, doc, fmt)
        details = {
            "number": quote.number,
            "revision": quote.revision,
            "format": str(fmt),
            "bytes": len(data),
        }
        return OpenedQuote(file_name(quote, fmt), CONTENT_TYPES[fmt], data, details)

    async def document(self, reader: Principal, quote: Quote) -> QuoteDocument:
        settings = await self.quotes.settings()
        name = shown_as(visibility_of(reader), PersonalKind.NAME, quote.customer_name)
        return document_of(quote, settings, customer_name=name, today=day_of(self.clock()))

    def _render(self, doc: QuoteDocument, fmt: DocumentFormat) -> bytes:
        return self.pdf.render(doc) if fmt is DocumentFormat.PDF else render_xlsx(doc)
