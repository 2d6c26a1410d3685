"""GraphQL types of quotes: the quote, its lines, its approval, its document links and its
connection; `opportunity_quotes` is `Opportunity.quotes` (batched for a whole response)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.graphql import PageInfo, page_info
from crm_kit.paging import page_size
from crm_kit.personal_types import PersonName
from crm_kit.policy import Action
from crm_sales import access
from crm_sales.graphql import loaders
from crm_sales.graphql.common import MoneyType
from crm_sales.graphql.context import Info
from crm_sales.graphql.refs import CustomerEntity, StaffEntity, customer_ref, staff_ref
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.quotes import model
from crm_sales.quotes.documents import CONTENT_TYPES, DocumentFormat, file_name
from crm_sales.quotes.lines import largest_line_discount, overall_discount
from crm_sales.quotes.model import Quote, QuoteStatus
from crm_sales.quotes.parts import (
    QuoteApprovalType,
    QuoteFileLinkType,
    QuoteLineType,
    amount,
    percent,
)
from crm_sales.quotes.queries import NEWEST_FIRST
from crm_sales.quotes.service import may_approve
from crm_sales.quotes.terms import QuoteSettings
from crm_sales.shared.clock import day_of
from crm_sales.shared.listing import Page, Position, empty_page

CENT = Decimal("0.01")


def _settings(info: Info) -> DataLoader[str, QuoteSettings]:
    queries = info.context.deps.quote_queries

    async def load(keys: list[str]) -> list[QuoteSettings]:
        found = await queries.settings()
        return [found for _ in keys]

    return info.context.loader("sales.quoteSettings", load)


def deals(info: Info) -> DataLoader[str, OpportunityRecord | None]:
    """The quotes' opportunities, read once per request."""
    queries = info.context.deps.opportunity_queries

    async def load(ids: list[str]) -> list[OpportunityRecord | None]:
        found = await queries.get_many(ids)
        return [found.get(i) for i in ids]

    return info.context.loader("sales.opportunities", load)


def _today(info: Info) -> date:
    return day_of(info.context.deps.clock())


@strawberry.type(
    name="Quote",
    description="A quote of an opportunity's line items to its customer, numbered per year and "
    "versioned. Readable by whoever may read its opportunity.",
)
class QuoteType:
    id: strawberry.ID = strawberry.field(description="The quote's id (one per version).")
    number: str = strawberry.field(
        description="Its number, `Q-<year>-<sequence>` (`Q-2026-000123`), shared by its versions."
    )
    revision: int = strawberry.field(
        description="Its version under the number: 1, then +1 per reviseQuote."
    )
    opportunity_id: strawberry.ID = strawberry.field(description="The opportunity it quotes.")
    customer_id: strawberry.ID = strawberry.field(description="The customer it is for.")
    customer_name: PersonName = strawberry.field(
        description="The name it is addressed to (printed on the documents): as given, or the "
        "customer's display name when it was made; empty once the customer is erased."
    )
    currency: str = strawberry.field(description="Its ISO 4217 currency (its deal's).")
    lines: list[QuoteLineType] = strawberry.field(description="Its lines, as quoted.")
    tax_rate: str = strawberry.field(description="The tax rate, a decimal percent 0–100.")
    subtotal: MoneyType = strawberry.field(description="The sum of the line totals.")
    tax: MoneyType = strawberry.field(description="subtotal × tax rate, rounded half-even once.")
    total: MoneyType = strawberry.field(description="subtotal + tax.")
    discount_percent: str = strawberry.field(
        description="The overall discount: how far the subtotal is below the lines' list "
        "value, a decimal percent (2 places)."
    )
    largest_line_discount_percent: str = strawberry.field(
        description="The largest line discount, a decimal percent."
    )
    valid_until: date = strawberry.field(description="The last day it may be accepted.")
    note: str | None = strawberry.field(description="Its note to the customer; null when none.")
    created_by_id: strawberry.ID = strawberry.field(description="Staff id of who made it.")
    created_at: datetime = strawberry.field(description="When it was made.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(
        description="1 when made, +1 per change: the `expectedVersion` of the next change."
    )
    supersedes_id: strawberry.ID | None = strawberry.field(
        description="The version it replaces; null for a number's first version."
    )
    superseded_by_id: strawberry.ID | None = strawberry.field(
        description="The newer version that replaced it; null while it is the current one."
    )
    sent_at: datetime | None = strawberry.field(description="When it was sent; null before.")
    sent_by_id: strawberry.ID | None = strawberry.field(
        description="Staff id of who sent it; null before."
    )
    decided_at: datetime | None = strawberry.field(
        description="When it was accepted or rejected; null before."
    )
    decided_by_id: strawberry.ID | None = strawberry.field(
        description="Staff id of who recorded the acceptance or rejection; null before."
    )
    rejection_reason: str | None = strawberry.field(
        description="Why it was rejected, when given; else null."
    )
    opportunity_won: bool = strawberry.field(
        description="Its acceptance moved the opportunity to won (acceptQuote with "
        "markOpportunityWon)."
    )
    quote: strawberry.Private[Quote]

    @classmethod
    def of(cls, q: Quote) -> QuoteType:
        figures, sending, decision = q.totals, q.sending, q.decision
        return cls(
            id=strawberry.ID(q.id),
            number=q.number,
            revision=q.revision,
            opportunity_id=strawberry.ID(q.opportunity_id),
            customer_id=strawberry.ID(q.customer_id),
            customer_name=PersonName(q.customer_name),
            currency=q.currency,
            lines=[QuoteLineType.of(line, q.currency) for line in q.lines],
            tax_rate=f"{q.tax_rate:f}",
            subtotal=amount(figures.subtotal.amount, q.currency),
            tax=amount(figures.tax.amount, q.currency),
            total=amount(figures.total.amount, q.currency),
            discount_percent=percent(overall_discount(q.lines)),
            largest_line_discount_percent=f"{largest_line_discount(q.lines):f}",
            valid_until=q.valid_until,
            note=q.note,
            created_by_id=strawberry.ID(q.created_by),
            created_at=q.created_at,
            updated_at=q.updated_at,
            version=q.version,
            supersedes_id=strawberry.ID(q.supersedes_id) if q.supersedes_id else None,
            superseded_by_id=strawberry.ID(q.superseded_by_id) if q.superseded_by_id else None,
            sent_at=sending.at if sending else None,
            sent_by_id=strawberry.ID(sending.by) if sending else None,
            decided_at=decision.at if decision else None,
            decided_by_id=strawberry.ID(decision.by) if decision else None,
            rejection_reason=decision.reason if decision else None,
            opportunity_won=bool(decision and decision.opportunity_won),
            quote=q,
        )

    @strawberry.field(
        description="Its status as of today: a SENT quote past `validUntil` reads EXPIRED."
    )
    def status(self, info: Info) -> QuoteStatus:
        return self.quote.status_on(_today(info))

    @strawberry.field(
        description="The statuses a mutation may move it to now (sendQuote, acceptQuote, "
        "rejectQuote); none once superseded, accepted, rejected or expired."
    )
    def allowed_next_statuses(self, info: Info) -> list[QuoteStatus]:
        return list(model.allowed_next(self.quote, _today(info)))

    @strawberry.field(description="Where its discount approval stands.")
    async def approval(self, info: Info) -> QuoteApprovalType:
        q, settings = self.quote, await _settings(info).load("")
        given = q.approval or model.Approval()
        limit = q.sending.threshold if q.sending else settings.discount_threshold
        return QuoteApprovalType(
            status=model.approval_status(q, settings.discount_threshold),
            threshold_percent=f"{limit:f}",
            requested_by_id=strawberry.ID(given.requested_by) if given.requested_by else None,
            requested_at=given.requested_at,
            approved_by_id=strawberry.ID(given.approved_by) if given.approved_by else None,
            approved_at=given.approved_at,
            note=given.note,
        )

    @strawberry.field(description="The customer (resolved by the customer subgraph).")
    def customer(self) -> CustomerEntity:
        return customer_ref(str(self.customer_id))

    @strawberry.field(description="Who made it (resolved by the customer subgraph).")
    def creator(self) -> StaffEntity | None:
        return staff_ref(str(self.created_by_id))

    @strawberry.field(
        description="Whether the caller may change it (updateQuoteDraft, reviseQuote, "
        "sendQuote, acceptQuote, rejectQuote): their update scope reaches its opportunity. "
        "Its status can still refuse a change."
    )
    async def viewer_can_update(self, info: Info) -> bool:
        deal = await deals(info).load(self.quote.opportunity_id)
        return deal is not None and access.can(
            info.context.principal, Action.UPDATE, deal.opportunity
        )

    @strawberry.field(
        description="Whether the caller may approve its discount (approveQuote): ADMIN, or a "
        "MANAGER of its opportunity's team."
    )
    async def viewer_can_approve(self, info: Info) -> bool:
        deal = await deals(info).load(self.quote.opportunity_id)
        return deal is not None and may_approve(info.context.principal, deal.opportunity)

    @strawberry.field(
        description="A link to it as a PDF (Chinese text embedded, searchable). Errors: "
        "INTERNAL_SERVER_ERROR with `reason` PDF_FONT_MISSING when the server lacks the PDF "
        "font (the XLSX still works)."
    )
    def pdf_link(self, info: Info) -> QuoteFileLinkType:
        return _link(info, self.quote, DocumentFormat.PDF)

    @strawberry.field(description="A link to it as an XLSX workbook.")
    def xlsx_link(self, info: Info) -> QuoteFileLinkType:
        return _link(info, self.quote, DocumentFormat.XLSX)


def _link(info: Info, quote: Quote, fmt: DocumentFormat) -> QuoteFileLinkType:
    signed = info.context.deps.quote_files.link(info.context.principal, quote, fmt)
    return QuoteFileLinkType(
        file_name=file_name(quote, fmt),
        content_type=CONTENT_TYPES[fmt],
        url=signed.url,
        expires_at=signed.expires_at,
    )


@strawberry.type(description="A quote and its cursor.")
class QuoteEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: QuoteType = strawberry.field(description="The quote.")


@strawberry.type(description="A page of quotes, in the order of the field that lists them.")
class QuoteConnection:
    edges: list[QuoteEdge] = strawberry.field(description="This page's quotes.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All quotes of the list the caller may see.")
    async def total_count(self) -> int:
        return await self.count()


def connection(
    page: Page[Quote], position: Position | None, count: Callable[[], Awaitable[int]]
) -> QuoteConnection:
    return QuoteConnection(
        edges=[
            QuoteEdge(cursor=c, node=QuoteType.of(q))
            for q, c in zip(page.items, page.cursors, strict=True)
        ],
        page_info=page_info(page.cursors, page.has_next, position is not None),
        count=count,
    )


async def opportunity_quotes(
    info: Info, opportunity_id: str, first: int | None, after: str | None
) -> QuoteConnection:
    """`Opportunity.quotes`: one opportunity's quotes, newest first, batched with the other
    opportunities of the response (the opportunity itself was access-checked)."""
    queries = info.context.deps.quote_queries
    size, position = page_size(first), NEWEST_FIRST.position(after)

    async def pages(
        arguments: tuple[int, Position | None], ids: list[str]
    ) -> dict[str, Page[Quote]]:
        count, start = arguments
        return await queries.per_opportunity(ids, order=NEWEST_FIRST, first=count, after=start)

    async def counts(_arguments: str, ids: list[str]) -> dict[str, int]:
        return await queries.counts_per_opportunity(ids)

    paged = loaders.per_key_and_arguments(info, "sales.quotes.pages", pages, empty_page)
    counted = loaders.per_key_and_arguments(info, "sales.quotes.counts", counts, int)
    page = await paged.load((opportunity_id, (size, position)))
    return connection(page, position, lambda: counted.load((opportunity_id, "")))
