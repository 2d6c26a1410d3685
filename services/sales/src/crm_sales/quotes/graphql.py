"""GraphQL of quotes: `quote(id)`, `quotes(filter, orderBy, first, after)`, `quoteSettings`,
and the writes — createQuote, updateQuoteDraft, reviseQuote, requestQuoteApproval,
approveQuote, sendQuote, acceptQuote, rejectQuote and updateQuoteSettings."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_kit.errors import NotFound
from crm_kit.graphql import ExpectedVersion, PageFirst, page_info
from crm_kit.paging import page_size
from crm_kit.policy import Action
from crm_sales import access
from crm_sales.graphql.context import Info
from crm_sales.opportunities.values import REASON_MAX_CHARS as WON_REASON_MAX_CHARS
from crm_sales.quotes.inputs import (
    CreateQuoteInput,
    QuoteFilterInput,
    QuoteOrderInput,
    UpdateQuoteDraftInput,
    UpdateQuoteSettingsInput,
)
from crm_sales.quotes.queries import NEWEST_FIRST, QuoteFilter
from crm_sales.quotes.service import NewQuote
from crm_sales.quotes.terms import REASON_MAX_CHARS, QuoteSettings
from crm_sales.quotes.types import QuoteConnection, QuoteEdge, QuoteType, deals
from crm_sales.quotes.winning import WinRequest
from crm_sales.shared.clock import day_of
from crm_sales.shared.listing import OrderedAfter

QuoteId = Annotated[strawberry.ID, strawberry.argument(description="The quote's id.")]
_WRITERS = (
    "Roles ADMIN, MANAGER (their team's deals), SALES (their own), as for updating the opportunity"
)
_STATE = "NOT_FOUND, CONFLICT (expectedVersion, with currentVersion), FORBIDDEN"


@strawberry.type(name="QuoteSettings", description="The ADMIN's quote settings.")
class QuoteSettingsType:
    discount_threshold: str = strawberry.field(
        description="A quote whose largest line discount or overall discount exceeds this "
        "percentage needs a manager's approval before it is sent (a decimal percent)."
    )
    default_tax_rate: str = strawberry.field(description="A new quote's tax rate (percent).")
    validity_days: int = strawberry.field(description="How many days a new quote is valid for.")
    company_name: str = strawberry.field(description="The company name on the documents.")
    version: int = strawberry.field(
        description="0 until first saved (the defaults), +1 per change: the `expectedVersion` "
        "of the next."
    )
    updated_by_id: strawberry.ID | None = strawberry.field(
        description="Staff id of who last changed them; null for the defaults."
    )

    @classmethod
    def of(cls, s: QuoteSettings) -> QuoteSettingsType:
        return cls(
            discount_threshold=f"{s.discount_threshold:f}",
            default_tax_rate=f"{s.default_tax_rate:f}",
            validity_days=s.validity_days,
            company_name=s.company_name,
            version=s.version,
            updated_by_id=strawberry.ID(s.updated_by) if s.updated_by else None,
        )


@strawberry.type(description="The quote a write left.")
class QuotePayload:
    quote: QuoteType = strawberry.field(description="The quote as it is now.")


@strawberry.type(description="The quote settings a write left.")
class QuoteSettingsPayload:
    settings: QuoteSettingsType = strawberry.field(description="The settings as saved.")


@strawberry.type
class QuoteQuery:
    @strawberry.field(
        description="One quote by id; null with NOT_FOUND when there is none, with FORBIDDEN "
        "outside the caller's read scope of its opportunity."
    )
    async def quote(self, info: Info, id: QuoteId) -> QuoteType | None:
        found = await info.context.deps.quote_queries.get(str(id))
        deal = await deals(info).load(found.opportunity_id) if found is not None else None
        if found is None or deal is None:
            raise NotFound("Quote", str(id))
        access.require(info.context.principal, Action.READ, deal.opportunity)
        return QuoteType.of(found)

    @strawberry.field(
        description="Quotes matching a filter (every version), newest first by default, among "
        "those whose opportunity the caller's list scope reaches: SALES their own deals' (and "
        "their team's when team sharing is on), MANAGER their team's, ADMIN and ANALYST all; "
        "FORBIDDEN for other roles. Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE; `after` "
        "INVALID_CURSOR, also for a cursor of another `orderBy`; `filter.*` TOO_LONG), FORBIDDEN."
    )
    async def quotes(
        self,
        info: Info,
        filter: Annotated[
            QuoteFilterInput | None,
            strawberry.argument(description="Which quotes; every one the list holds if omitted."),
        ] = None,
        order_by: Annotated[
            QuoteOrderInput | None,
            strawberry.argument(
                description="The order: `{field: CREATED_AT, direction: DESC}` when omitted."
            ),
        ] = None,
        first: PageFirst = 20,
        after: OrderedAfter = None,
    ) -> QuoteConnection:
        reach = access.condition(info.context.principal)
        where = filter.to_filter() if filter is not None else QuoteFilter()
        order = order_by.to_order() if order_by is not None else NEWEST_FIRST
        size, position = page_size(first), order.position(after)
        queries, today = info.context.deps.quote_queries, day_of(info.context.deps.clock())
        page = await queries.page(
            where, reach=reach, order=order, first=size, after=position, today=today
        )
        return QuoteConnection(
            edges=[
                QuoteEdge(cursor=c, node=QuoteType.of(q))
                for q, c in zip(page.items, page.cursors, strict=True)
            ],
            page_info=page_info(page.cursors, page.has_next, position is not None),
            count=lambda: queries.count(where, reach=reach, today=today),
        )

    @strawberry.field(
        description="The quote settings (the defaults until an ADMIN saves them). Roles that "
        "may read opportunities (others: FORBIDDEN)."
    )
    async def quote_settings(self, info: Info) -> QuoteSettingsType:
        access.require_reader(info.context.principal)
        return QuoteSettingsType.of(await info.context.deps.quote_queries.settings())


Note = Annotated[
    str | None,
    strawberry.argument(description=f"A note, at most {REASON_MAX_CHARS} characters."),
]


@strawberry.type
class QuoteMutation:
    @strawberry.mutation(
        description="Make a quote of an opportunity's current line items: a new number of the "
        "year (`Q-2026-000123`), version 1, DRAFT. "
        f"{_WRITERS}. Errors: BAD_USER_INPUT (`opportunityId` UNKNOWN_OPPORTUNITY, "
        "OPPORTUNITY_CLOSED (won, lost or merged), NO_LINE_ITEMS; `validUntil` INVALID_DATE, "
        "IN_PAST, OUT_OF_RANGE; `taxRate` INVALID, FLOAT_NOT_ALLOWED, PRECISION, OUT_OF_RANGE; "
        "`note` TOO_LONG; `customerName` REQUIRED, TOO_LONG; `idempotencyKey` TOO_LONG), "
        "CONFLICT (idempotencyKey reused for a different request), FORBIDDEN."
    )
    async def create_quote(
        self,
        info: Info,
        input: Annotated[CreateQuoteInput, strawberry.argument(description="The quote.")],
    ) -> QuotePayload:
        request = NewQuote(str(input.opportunity_id), input.to_terms())
        created = await info.context.deps.quotes.create(
            info.context.principal, request, input.idempotency_key
        )
        return QuotePayload(quote=QuoteType.of(created))

    @strawberry.mutation(
        description="Change a DRAFT's validity, tax rate, note or addressee (a sent quote is "
        f"never edited: reviseQuote). {_WRITERS}. Errors: BAD_USER_INPUT (`id` NOT_DRAFT; "
        "`validUntil` INVALID_DATE, IN_PAST, OUT_OF_RANGE; `taxRate` INVALID, PRECISION, "
        f"OUT_OF_RANGE; `note` TOO_LONG; `customerName` REQUIRED, TOO_LONG), {_STATE}."
    )
    async def update_quote_draft(
        self,
        info: Info,
        id: QuoteId,
        input: Annotated[UpdateQuoteDraftInput, strawberry.argument(description="The changes.")],
        expected_version: ExpectedVersion = None,
    ) -> QuotePayload:
        changed = await info.context.deps.quotes.update_draft(
            info.context.principal, str(id), input.to_terms(), expected_version
        )
        return QuotePayload(quote=QuoteType.of(changed))

    @strawberry.mutation(
        description="Make the next version of a SENT, REJECTED or EXPIRED quote: same number, "
        "`revision` + 1, DRAFT, with the opportunity's current line items and the same tax "
        "rate, note and addressee; the quote revised keeps its status and gets "
        f"`supersededById`. Returns the new version. {_WRITERS}. Errors: BAD_USER_INPUT (`id` "
        "NOT_REVISABLE (a draft, or accepted), SUPERSEDED, OPPORTUNITY_CLOSED, NO_LINE_ITEMS), "
        f"{_STATE}."
    )
    async def revise_quote(
        self, info: Info, id: QuoteId, expected_version: ExpectedVersion = None
    ) -> QuotePayload:
        revised = await info.context.deps.quotes.revise(
            info.context.principal, str(id), expected_version
        )
        return QuotePayload(quote=QuoteType.of(revised))

    @strawberry.mutation(
        description="Ask for the approval of a DRAFT whose discount exceeds the threshold "
        f"(`approval.status` REQUESTED). {_WRITERS}. Errors: BAD_USER_INPUT (`id` NOT_DRAFT, "
        f"APPROVAL_NOT_NEEDED, ALREADY_APPROVED), {_STATE}."
    )
    async def request_quote_approval(
        self, info: Info, id: QuoteId, expected_version: ExpectedVersion = None
    ) -> QuotePayload:
        asked = await info.context.deps.quotes.request_approval(
            info.context.principal, str(id), expected_version
        )
        return QuotePayload(quote=QuoteType.of(asked))

    @strawberry.mutation(
        description="Approve a DRAFT's discount above the threshold, so that it may be sent. "
        "Roles ADMIN, or MANAGER of the opportunity's team (not of a quote they made "
        "themselves). Errors: BAD_USER_INPUT (`id` NOT_DRAFT, APPROVAL_NOT_NEEDED, "
        f"ALREADY_APPROVED, SELF_APPROVAL; `note` TOO_LONG), {_STATE}."
    )
    async def approve_quote(
        self,
        info: Info,
        id: QuoteId,
        note: Note = None,
        expected_version: ExpectedVersion = None,
    ) -> QuotePayload:
        approved = await info.context.deps.quotes.approve(
            info.context.principal, str(id), note, expected_version
        )
        return QuotePayload(quote=QuoteType.of(approved))

    @strawberry.mutation(
        description=f"Send a DRAFT: it becomes SENT and never changes again. {_WRITERS}. "
        "Errors: BAD_USER_INPUT (`id` NOT_DRAFT, APPROVAL_REQUIRED (a discount above the "
        "threshold without approval), OPPORTUNITY_CLOSED; `validUntil` IN_PAST), "
        f"{_STATE}."
    )
    async def send_quote(
        self, info: Info, id: QuoteId, expected_version: ExpectedVersion = None
    ) -> QuotePayload:
        sent = await info.context.deps.quotes.send(
            info.context.principal, str(id), expected_version
        )
        return QuotePayload(quote=QuoteType.of(sent))

    @strawberry.mutation(
        description="Record that the customer accepted a SENT, current, unexpired quote. With "
        "`markOpportunityWon`, the open opportunity moves to a won stage through its stage "
        "gate in the same transaction (a refused move accepts nothing); a deal already won "
        f"stays as it is. {_WRITERS}. Errors: BAD_USER_INPUT (`id` NOT_SENT, EXPIRED, "
        "SUPERSEDED, OPPORTUNITY_CLOSED (lost or merged); `wonStageId` REQUIRED (the pipeline "
        "has several won stages), NOT_WON_STAGE; `wonReason` REQUIRED, UNKNOWN_REASON; "
        "`wonNote` REQUIRED, TOO_LONG; `opportunity.<field>` REQUIRED: what the won stage "
        f"still needs of the deal), {_STATE}."
    )
    async def accept_quote(  # noqa: PLR0917 - the mutation's arguments
        self,
        info: Info,
        id: QuoteId,
        mark_opportunity_won: Annotated[
            bool,
            strawberry.argument(description="Also move the opportunity to won."),
        ] = False,
        won_stage_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The won stage; omitted: the pipeline's only won stage."
            ),
        ] = None,
        won_reason: Annotated[
            str | None,
            strawberry.argument(
                description="Why the deal was won: a code of the ADMIN's won reasons, at most "
                f"{WON_REASON_MAX_CHARS} characters (required with markOpportunityWon)."
            ),
        ] = None,
        won_note: Annotated[
            str | None, strawberry.argument(description="A note on the win (the deal's).")
        ] = None,
        expected_version: ExpectedVersion = None,
    ) -> QuotePayload:
        win = (
            WinRequest(str(won_stage_id) if won_stage_id else None, won_reason, won_note)
            if mark_opportunity_won
            else None
        )
        accepted = await info.context.deps.quotes.accept(
            info.context.principal, str(id), win, expected_version
        )
        return QuotePayload(quote=QuoteType.of(accepted))

    @strawberry.mutation(
        description="Record that the customer rejected a SENT, current, unexpired quote (a new "
        f"version may follow: reviseQuote). {_WRITERS}. Errors: BAD_USER_INPUT (`id` NOT_SENT, "
        f"EXPIRED, SUPERSEDED; `reason` TOO_LONG), {_STATE}."
    )
    async def reject_quote(
        self,
        info: Info,
        id: QuoteId,
        reason: Annotated[
            str | None,
            strawberry.argument(
                description=f"Why, when known; at most {REASON_MAX_CHARS} characters."
            ),
        ] = None,
        expected_version: ExpectedVersion = None,
    ) -> QuotePayload:
        rejected = await info.context.deps.quotes.reject(
            info.context.principal, str(id), reason, expected_version
        )
        return QuotePayload(quote=QuoteType.of(rejected))

    @strawberry.mutation(
        description="Change the quote settings. ADMIN only. Errors: BAD_USER_INPUT "
        "(`discountThreshold` / `defaultTaxRate` INVALID, FLOAT_NOT_ALLOWED, PRECISION, "
        "OUT_OF_RANGE; `validityDays` OUT_OF_RANGE; `companyName` TOO_LONG), CONFLICT "
        "(expectedVersion, with currentVersion), FORBIDDEN."
    )
    async def update_quote_settings(
        self,
        info: Info,
        input: Annotated[UpdateQuoteSettingsInput, strawberry.argument(description="The changes.")],
        expected_version: ExpectedVersion = None,
    ) -> QuoteSettingsPayload:
        saved = await info.context.deps.quotes.update_settings(
            info.context.principal, input.to_changes(), expected_version
        )
        return QuoteSettingsPayload(settings=QuoteSettingsType.of(saved))
