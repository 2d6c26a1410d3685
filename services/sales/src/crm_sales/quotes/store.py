"""MongoDB adapters of quotes, their yearly number counters and the quote settings.

A quote is one document (`quotes`); numbers, decimals and percentages are decimal strings,
never floats, and `validUntil` is the `YYYY-MM-DD` text (it sorts as the date does). Beside
what they sort: `numberKey` (year, sequence and revision zero-padded, so it sorts by number
then version). The unique index on (year, sequence, revision) backs the counter.

Numbers come from `quote_numbers` (one document per year, `_id` the year): the counter is
incremented inside the quote's own transaction, so two concurrent creations conflict there and
one is retried with the next number, and a refused creation rolls its increment back — the
numbers of a year have neither duplicates nor gaps.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.customers.model import CustomerMove
from crm_sales.customers.store import CustomerRepository, refile, unfile
from crm_sales.quotes.lines import QuoteLine
from crm_sales.quotes.model import Approval, Decision, Quote, QuoteStatus, Sending
from crm_sales.quotes.terms import QuoteSettings

QUOTES = "quotes"
QUOTE_NUMBERS = "quote_numbers"
QUOTE_SETTINGS = "quote_settings"
SETTINGS_ID = "current"

INDEXES: list[IndexSpec] = [
    IndexSpec(
        QUOTES,
        (
            IndexModel(
                [("year", ASCENDING), ("sequence", ASCENDING), ("revision", ASCENDING)],
                name="number",
                unique=True,
            ),
            IndexModel(
                [("opportunityId", ASCENDING), ("createdAt", DESCENDING), ("_id", DESCENDING)],
                name="opportunity_created",
            ),
            IndexModel([("customerId", ASCENDING), ("createdAt", DESCENDING)], name="customer"),
            IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)], name="created"),
            IndexModel([("updatedAt", DESCENDING), ("_id", DESCENDING)], name="updated"),
            IndexModel([("validUntil", ASCENDING), ("_id", ASCENDING)], name="valid_until"),
            IndexModel([("numberKey", ASCENDING), ("_id", ASCENDING)], name="number_key"),
        ),
    ),
]


def number_key(year: int, sequence: int, revision: int) -> str:
    return f"{year:04d}-{sequence:09d}-{revision:04d}"


def _line_to_doc(line: QuoteLine) -> Document:
    return {
        "productId": line.product_id,
        "productCode": line.product_code,
        "nameZh": line.name_zh,
        "nameEn": line.name_en,
        "unit": line.unit,
        "quantity": f"{line.quantity:f}",
        "listPrice": f"{line.list_price:f}",
        "unitPrice": f"{line.unit_price:f}",
        "discountPercent": f"{line.discount_percent:f}",
        "total": f"{line.total:f}",
    }


def _line_from_doc(d: Document) -> QuoteLine:
    return QuoteLine(
        product_id=d["productId"],
        product_code=d["productCode"],
        name_zh=d["nameZh"],
        name_en=d["nameEn"],
        unit=d["unit"],
        quantity=Decimal(d["quantity"]),
        list_price=Decimal(d["listPrice"]),
        unit_price=Decimal(d["unitPrice"]),
        discount_percent=Decimal(d["discountPercent"]),
        total=Decimal(d["total"]),
    )


def _approval_to_doc(a: Approval | None) -> Document | None:
    if a is None:
        return None
    return {
        "requestedBy": a.requested_by,
        "requestedAt": a.requested_at,
        "approvedBy": a.approved_by,
        "approvedAt": a.approved_at,
        "note": a.note,
    }


def _approval_from_doc(d: Document | None) -> Approval | None:
    if d is None:
        return None
    return Approval(d["requestedBy"], d["requestedAt"], d["approvedBy"], d["approvedAt"], d["note"])


def _sending_to_doc(s: Sending | None) -> Document | None:
    return None if s is None else {"by": s.by, "at": s.at, "threshold": f"{s.threshold:f}"}


def _decision_to_doc(d: Decision | None) -> Document | None:
    if d is None:
        return None
    return {"by": d.by, "at": d.at, "reason": d.reason, "opportunityWon": d.opportunity_won}


def quote_to_doc(q: Quote) -> Document:
    figures = q.totals
    return {
        "_id": q.id,
        "year": q.year,
        "sequence": q.sequence,
        "revision": q.revision,
        "number": q.number,
        "numberKey": number_key(q.year, q.sequence, q.revision),
        "opportunityId": q.opportunity_id,
        "customerId": q.customer_id,
        "customerName": q.customer_name,
        "currency": q.currency,
        "lines": [_line_to_doc(line) for line in q.lines],
        "taxRate": f"{q.tax_rate:f}",
        "subtotal": figures.subtotal.text,
        "tax": figures.tax.text,
        "total": figures.total.text,
        "validUntil": q.valid_until.isoformat(),
        "status": str(q.status),
        "note": q.note,
        "createdBy": q.created_by,
        "createdAt": q.created_at,
        "updatedAt": q.updated_at,
        "version": q.version,
        "supersedesId": q.supersedes_id,
        "supersededById": q.superseded_by_id,
        "approval": _approval_to_doc(q.approval),
        "sending": _sending_to_doc(q.sending),
        "decision": _decision_to_doc(q.decision),
    }


def _optional(d: Document, name: str, read: Any) -> Any:
    value = d.get(name)
    return None if value is None else read(value)


def quote_from_doc(d: Document) -> Quote:
    return Quote(
        id=str(d["_id"]),
        year=int(d["year"]),
        sequence=int(d["sequence"]),
        revision=int(d["revision"]),
        opportunity_id=d["opportunityId"],
        customer_id=d["customerId"],
        customer_name=d.get("customerName") or "",
        currency=d["currency"],
        lines=tuple(_line_from_doc(line) for line in d["lines"]),
        tax_rate=Decimal(d["taxRate"]),
        valid_until=date.fromisoformat(d["validUntil"]),
        status=QuoteStatus(d["status"]),
        created_by=d["createdBy"],
        created_at=d["createdAt"],
        updated_at=d["updatedAt"],
        version=int(d["version"]),
        note=d.get("note"),
        supersedes_id=d.get("supersedesId"),
        superseded_by_id=d.get("supersededById"),
        approval=_approval_from_doc(d.get("approval")),
        sending=_optional(
            d, "sending", lambda s: Sending(s["by"], s["at"], Decimal(s["threshold"]))
        ),
        decision=_optional(
            d,
            "decision",
            lambda x: Decision(x["by"], x["at"], x.get("reason"), bool(x.get("opportunityWon"))),
        ),
    )


def settings_from_doc(doc: Document | None) -> QuoteSettings:
    """The stored settings, or the defaults (version 0) before an ADMIN saved any."""
    if doc is None:
        return QuoteSettings()
    return QuoteSettings(
        discount_threshold=Decimal(doc["discountThreshold"]),
        default_tax_rate=Decimal(doc["defaultTaxRate"]),
        validity_days=int(doc["validityDays"]),
        company_name=doc.get("companyName") or "",
        version=int(doc["version"]),
        updated_by=doc.get("updatedBy"),
        updated_at=doc.get("updatedAt"),
    )


class QuoteRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._quotes = db[QUOTES]
        self._numbers = db[QUOTE_NUMBERS]
        self._customers = CustomerRepository(db)

    async def get(self, quote_id: str, session: Session | None = None) -> Quote | None:
        doc = await self._quotes.find_one({"_id": quote_id}, session=session)
        return quote_from_doc(doc) if doc is not None else None

    async def next_sequence(self, year: int, session: Session) -> int:
        """The year's next number, in the caller's transaction (see the module)."""
        counter = await self._numbers.find_one_and_update(
            {"_id": f"{year:04d}"},
            {"$inc": {"sequence": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None  # an upsert returning the document after the change
        return int(counter["sequence"])

    async def add(self, quote: Quote, session: Session) -> None:
        await self._quotes.insert_one(quote_to_doc(quote), session=session)

    async def save(self, quote: Quote, previous_version: int, session: Session) -> None:
        """Replace the stored quote if it is still at `previous_version` (else CONFLICT)."""
        result = await self._quotes.replace_one(
            {"_id": quote.id, "version": previous_version}, quote_to_doc(quote), session=session
        )
        if result.matched_count != 1:
            raise Conflict(
                f"Quote {quote.number} was changed meanwhile; reload and retry",
                conflicting_id=quote.id,
            )

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        """A customer merge: the merged customers' quotes are filed under the survivor."""
        await refile(self._quotes, move, session)

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        await unfile(self._quotes, move, session)

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        """An erasure: the name a quote was addressed to, its note and any rejection reason
        go (numbers, lines, amounts and times stay for reports)."""
        await self._quotes.update_many(
            {"customerId": customer_id},
            {"$set": {"customerName": "", "note": None}},
            session=session,
        )
        await self._quotes.update_many(
            {"customerId": customer_id, "decision": {"$ne": None}},
            {"$set": {"decision.reason": None}},
            session=session,
        )

    async def display_name(self, customer_id: str, session: Session) -> str:
        """The name the customer projection holds for the customer (a company's in full, a
        person's masked, as customer events carry it); "" when it holds none — not seen yet,
        erased, or projected before sales kept names. The deal's customer is read as is: a
        merge re-keys deals to the survivor in the transaction that marks the merge."""
        view = await self._customers.get(customer_id, session)
        return view.display_name if view is not None else ""


class QuoteSettingsRepository:
    """The one settings document (`quote_settings`, `_id` `current`)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[QUOTE_SETTINGS]

    async def get(self, session: Session | None = None) -> QuoteSettings:
        doc = await self._collection.find_one({"_id": SETTINGS_ID}, session=session)
        return settings_from_doc(doc)

    async def save(self, settings: QuoteSettings, session: Session) -> None:
        """Store the settings that follow version `settings.version - 1` (else CONFLICT)."""
        fields: Document = {
            "discountThreshold": f"{settings.discount_threshold:f}",
            "defaultTaxRate": f"{settings.default_tax_rate:f}",
            "validityDays": settings.validity_days,
            "companyName": settings.company_name,
            "version": settings.version,
            "updatedBy": settings.updated_by,
            "updatedAt": settings.updated_at,
        }
        if settings.version == 1:
            if await self._collection.find_one({"_id": SETTINGS_ID}, {"_id": 1}, session=session):
                raise Conflict(
                    "The quote settings were changed meanwhile", conflicting_id=SETTINGS_ID
                )
            await self._collection.insert_one({"_id": SETTINGS_ID, **fields}, session=session)
            return
        result = await self._collection.update_one(
            {"_id": SETTINGS_ID, "version": settings.version - 1},
            {"$set": fields},
            session=session,
        )
        if result.matched_count != 1:
            raise Conflict("The quote settings were changed meanwhile", conflicting_id=SETTINGS_ID)
