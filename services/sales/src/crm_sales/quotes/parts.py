"""The parts of the quote GraphQL types: their enums, a quote's line, its approval and a
document link."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from crm_kit.graphql import described_enum
from crm_sales.graphql.common import MoneyType, in_language, money_shown
from crm_sales.graphql.refs import StaffEntity, staff_ref
from crm_sales.money.model import money
from crm_sales.quotes.lines import QuoteLine
from crm_sales.quotes.model import ApprovalStatus, QuoteStatus
from crm_sales.quotes.queries import QuoteOrderField

CENT = Decimal("0.01")

described_enum(
    QuoteStatus,
    "Where a quote stands: DRAFT → SENT → ACCEPTED or REJECTED; a SENT quote past its "
    "`validUntil` day reads EXPIRED.",
    {
        QuoteStatus.DRAFT: "Being prepared; the only status in which it changes.",
        QuoteStatus.SENT: "Sent to the customer and still valid: it may be accepted or rejected.",
        QuoteStatus.ACCEPTED: "Accepted by the customer (final).",
        QuoteStatus.REJECTED: "Rejected by the customer (final; a new version may follow).",
        QuoteStatus.EXPIRED: "Sent, and past its `validUntil` day: it can no longer be "
        "accepted (a new version may follow). Never set by a mutation.",
    },
)
described_enum(
    ApprovalStatus,
    "Where a quote's discount approval stands.",
    {
        ApprovalStatus.NOT_REQUIRED: "Its discounts are within the ADMIN's threshold.",
        ApprovalStatus.REQUIRED: "A discount exceeds the threshold: it cannot be sent until a "
        "MANAGER of the deal's team (or an ADMIN) approves it.",
        ApprovalStatus.REQUESTED: "As REQUIRED, and approval was asked for.",
        ApprovalStatus.APPROVED: "Approved: it may be sent.",
    },
    name="QuoteApprovalStatus",
)
described_enum(
    QuoteOrderField,
    "What a quote list is ordered by; quotes with the same value follow in id order (in the "
    "same direction), so pages never skip or repeat one.",
    {
        QuoteOrderField.CREATED_AT: "When it was made.",
        QuoteOrderField.UPDATED_AT: "When it last changed.",
        QuoteOrderField.VALID_UNTIL: "Its last valid day.",
        QuoteOrderField.NUMBER: "Its number, then its version.",
    },
)


def amount(value: Decimal, currency: str) -> MoneyType:
    return money_shown(money(value, currency))


def percent(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"


@strawberry.type(name="QuoteLine", description="A line of a quote, as copied from its deal.")
class QuoteLineType:
    product_id: strawberry.ID = strawberry.field(description="The product's id.")
    product_code: str = strawberry.field(description="The product's code when quoted.")
    name_zh: str = strawberry.field(description="The product's Chinese name when quoted.")
    name_en: str = strawberry.field(description="The product's English name when quoted.")
    unit: str = strawberry.field(description="The unit sold.")
    quantity: str = strawberry.field(description="How many, a decimal string.")
    list_price: MoneyType = strawberry.field(description="The price book's price per unit.")
    unit_price: MoneyType = strawberry.field(description="The price per unit charged.")
    discount_percent: str = strawberry.field(description="The line's discount, a decimal 0–100.")
    total: MoneyType = strawberry.field(
        description="quantity × unit price less the discount, rounded half-even once."
    )

    @strawberry.field(description="The product's name in the caller's language.")
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)

    @classmethod
    def of(cls, line: QuoteLine, currency: str) -> QuoteLineType:
        return cls(
            product_id=strawberry.ID(line.product_id),
            product_code=line.product_code,
            name_zh=line.name_zh,
            name_en=line.name_en,
            unit=line.unit,
            quantity=f"{line.quantity:f}",
            list_price=amount(line.list_price, currency),
            unit_price=amount(line.unit_price, currency),
            discount_percent=f"{line.discount_percent:f}",
            total=amount(line.total, currency),
        )


@strawberry.type(name="QuoteApproval", description="A quote's discount approval.")
class QuoteApprovalType:
    status: ApprovalStatus = strawberry.field(description="Where the approval stands.")
    threshold_percent: str = strawberry.field(
        description="The threshold it is judged by, a decimal percent: the ADMIN's current one "
        "for a draft, the one in force when it was sent afterwards."
    )
    requested_by_id: strawberry.ID | None = strawberry.field(
        description="Staff id of who asked for the approval; null when nobody did."
    )
    requested_at: datetime | None = strawberry.field(description="When; null when not asked.")
    approved_by_id: strawberry.ID | None = strawberry.field(
        description="Staff id of the MANAGER or ADMIN who approved it; null until approved."
    )
    approved_at: datetime | None = strawberry.field(description="When; null until approved.")
    note: str | None = strawberry.field(description="The approver's note; null when none.")

    @strawberry.field(description="The approver (resolved by the customer subgraph).")
    def approved_by(self) -> StaffEntity | None:
        return staff_ref(str(self.approved_by_id) if self.approved_by_id else None)


@strawberry.type(
    name="QuoteFileLink",
    description="A short-lived signed link to a quote document: GET `url` on the gateway's "
    "origin, without an Authorization header, until `expiresAt` (see docs/api.md, Downloads).",
)
class QuoteFileLinkType:
    file_name: str = strawberry.field(description="The file's name (`Q-2026-000123-v2.pdf`).")
    content_type: str = strawberry.field(description="Its media type.")
    url: str = strawberry.field(
        description="`/files/sales/<token>`: the link, for the caller who asked only; do not "
        "store, log or share it."
    )
    expires_at: datetime = strawberry.field(
        description="When the link stops working (FILE_LINK_TTL_SECONDS after it was made)."
    )
