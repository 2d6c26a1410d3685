"""MongoDB adapter of opportunities: documents, indexes, the kanban ranks of a column, the
occupancy of stages, and the customer lifecycle (merge re-keying, erasure). Every stored
create and replace also moves the board's summaries (`kanban.summaries`); rank-only writes
and the customer lifecycle touch no field they hold.

Amounts are stored as decimal strings (never floats) plus `amountMinor`, the exact integer of
minor units that aggregates sum. Sort keys are stored beside what they sort: `closeKey` (the
expected close date, `9999-12-31` when none: after every date), `amountKey` (the amount in
base-currency minor units at the conversion of the last write; -1 when none or not
convertible: below every amount). A closed deal keeps the conversion it was booked at
(`booked`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.customers.model import CustomerMove
from crm_sales.customers.store import refile, unfile
from crm_sales.duplicates.model import name_key
from crm_sales.kanban.model import Card
from crm_sales.kanban.summaries import SOURCE_FIELDS, BoardSummaries
from crm_sales.line_items.model import LineItem
from crm_sales.money.model import Conversion, Money
from crm_sales.opportunities.values import (
    BuyingRole,
    Closing,
    Contact,
    MergedInto,
    Opportunity,
    ProbabilityOverride,
    Status,
)

OPPORTUNITIES = "opportunities"
NO_CLOSE_DATE = "9999-12-31"
NO_AMOUNT = -1

INDEXES: list[IndexSpec] = [
    IndexSpec(
        OPPORTUNITIES,
        (
            IndexModel(
                [("customerId", ASCENDING), ("updatedAt", DESCENDING), ("_id", DESCENDING)],
                name="customer_updated",
            ),
            IndexModel(
                [("ownerId", ASCENDING), ("status", ASCENDING), ("closeKey", ASCENDING)],
                name="owner_status_close",
            ),
            IndexModel(
                [("pipelineId", ASCENDING), ("stageId", ASCENDING), ("rank", ASCENDING)],
                name="pipeline_stage_rank",
            ),
            IndexModel([("updatedAt", DESCENDING), ("_id", DESCENDING)], name="updated"),
            IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)], name="created"),
            IndexModel([("closeKey", ASCENDING), ("_id", ASCENDING)], name="close"),
            IndexModel([("amountKey", DESCENDING), ("_id", DESCENDING)], name="amount"),
            IndexModel([("team", ASCENDING), ("updatedAt", DESCENDING)], name="team_updated"),
            IndexModel(
                [("status", ASCENDING), ("customerId", ASCENDING), ("nameKey", ASCENDING)],
                name="status_customer_name",
            ),
        ),
    ),
]


def _money(value: Money | None) -> Document | None:
    return None if value is None else {"amount": value.text, "currency": value.currency}


def _conversion_to_doc(c: Conversion | None) -> Document | None:
    if c is None:
        return None
    day = c.rate_effective_from.isoformat() if c.rate_effective_from else None
    return {**(_money(c.amount) or {}), "rate": f"{c.rate:f}", "rateEffectiveFrom": day}


def _conversion_from_doc(doc: Document | None, source: Money | None) -> Conversion | None:
    if doc is None or source is None:
        return None
    day = doc.get("rateEffectiveFrom")
    return Conversion(
        source,
        Money(Decimal(doc["amount"]), doc["currency"]),
        Decimal(doc["rate"]),
        date.fromisoformat(day) if day else None,
    )


def _line_to_doc(item: LineItem) -> Document:
    return {
        "productId": item.product_id,
        "productCode": item.product_code,
        "nameZh": item.name_zh,
        "nameEn": item.name_en,
        "unit": item.unit,
        "currency": item.currency,
        "quantity": f"{item.quantity:f}",
        "listPrice": f"{item.list_price:f}",
        "unitPrice": f"{item.unit_price:f}",
        "priceOverridden": item.price_overridden,
        "discountPercent": f"{item.discount_percent:f}",
        "total": f"{item.total:f}",
    }


def _line_from_doc(d: Document) -> LineItem:
    return LineItem(
        product_id=d["productId"],
        product_code=d["productCode"],
        name_zh=d["nameZh"],
        name_en=d["nameEn"],
        unit=d["unit"],
        currency=d["currency"],
        quantity=Decimal(d["quantity"]),
        list_price=Decimal(d["listPrice"]),
        unit_price=Decimal(d["unitPrice"]),
        price_overridden=bool(d["priceOverridden"]),
        discount_percent=Decimal(d["discountPercent"]),
        total=Decimal(d["total"]),
    )


def _override_to_doc(p: ProbabilityOverride | None) -> Document | None:
    return None if p is None else {"value": p.value, "by": p.by, "at": p.at}


def _closing_to_doc(c: Closing | None, booked: Conversion | None) -> Document | None:
    if c is None:
        return None
    return {
        "reason": c.reason,
        "note": c.note,
        "at": c.at,
        "by": c.by,
        "day": c.at.date().isoformat(),
        "booked": _conversion_to_doc(booked),
    }


def _merged_to_doc(m: MergedInto | None) -> Document | None:
    return None if m is None else {"survivorId": m.survivor_id, "at": m.at, "by": m.by}


def opportunity_to_doc(
    o: Opportunity, amount_key: int | None, booked: Conversion | None
) -> Document:
    """The stored document; `amount_key`: base-currency minor units for the AMOUNT order
    (None: not convertible); `booked`: the conversion a closed deal was booked at."""
    return {
        "_id": o.id,
        "customerId": o.customer_id,
        "name": o.name,
        "nameKey": name_key(o.name),  # duplicates.model: what possible duplicates match on
        "ownerId": o.owner_id,
        "team": o.team,
        "pipelineId": o.pipeline_id,
        "pipelineVersion": o.pipeline_version,
        "stageId": o.stage_id,
        "status": str(o.status),
        "stageEnteredAt": o.stage_entered_at,
        "createdBy": o.created_by,
        "createdAt": o.created_at,
        "updatedAt": o.updated_at,
        "version": o.version,
        "currency": o.currency,
        "amount": o.amount.text if o.amount is not None else None,
        "amountMinor": o.amount.minor if o.amount is not None else None,
        "amountKey": NO_AMOUNT if amount_key is None else amount_key,
        "expectedCloseDate": o.expected_close_date.isoformat() if o.expected_close_date else None,
        "closeKey": o.expected_close_date.isoformat() if o.expected_close_date else NO_CLOSE_DATE,
        "nextStep": o.next_step,
        "source": o.source,
        "competitors": list(o.competitors),
        "contacts": [{"name": c.name, "role": str(c.role)} for c in o.contacts],
        "lineItems": [_line_to_doc(item) for item in o.line_items],
        "tags": list(o.tags),
        "customFields": dict(o.custom_fields),
        "probabilityOverride": _override_to_doc(o.probability_override),
        "closing": _closing_to_doc(o.closing, booked),
        "bookedMinor": booked.amount.minor if booked is not None else None,
        "reopenCount": o.reopen_count,
        "rank": o.rank,
        "mergedInto": _merged_to_doc(o.merged_into),
    }


def _optional(d: Document, name: str, read: Any) -> Any:
    value = d.get(name)
    return None if value is None else read(value)


def opportunity_from_doc(d: Document) -> tuple[Opportunity, Conversion | None]:
    """The opportunity and, for a closed one, the conversion it was booked at."""
    code = d["currency"]
    amount = _optional(d, "amount", lambda a: Money(Decimal(a), code))
    closing = d.get("closing")
    opportunity = Opportunity(
        id=str(d["_id"]),
        customer_id=d["customerId"],
        name=d["name"],
        owner_id=d["ownerId"],
        team=d.get("team"),
        pipeline_id=d["pipelineId"],
        pipeline_version=int(d["pipelineVersion"]),
        stage_id=d["stageId"],
        status=Status(d["status"]),
        stage_entered_at=d["stageEnteredAt"],
        created_by=d["createdBy"],
        created_at=d["createdAt"],
        updated_at=d["updatedAt"],
        version=int(d["version"]),
        currency=code,
        amount=amount,
        expected_close_date=_optional(d, "expectedCloseDate", date.fromisoformat),
        next_step=d.get("nextStep"),
        source=d.get("source"),
        competitors=tuple(d.get("competitors") or ()),
        contacts=tuple(Contact(c["name"], BuyingRole(c["role"])) for c in d.get("contacts") or ()),
        line_items=tuple(_line_from_doc(item) for item in d.get("lineItems") or ()),
        tags=tuple(d.get("tags") or ()),
        custom_fields=dict(d.get("customFields") or {}),
        probability_override=_optional(
            d,
            "probabilityOverride",
            lambda p: ProbabilityOverride(int(p["value"]), p["by"], p["at"]),
        ),
        closing=_optional(
            d, "closing", lambda c: Closing(c["reason"], c.get("note"), c["at"], c["by"])
        ),
        reopen_count=int(d.get("reopenCount") or 0),
        rank=int(d.get("rank") or 0),
        merged_into=_optional(
            d, "mergedInto", lambda m: MergedInto(m["survivorId"], m["at"], m["by"])
        ),
    )
    booked = _conversion_from_doc(closing.get("booked") if closing else None, amount)
    return opportunity, booked


class OpportunityRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[OPPORTUNITIES]
        # the board's running sums move with every stored write, in its transaction
        self._summaries = BoardSummaries(db)

    async def get(self, opportunity_id: str, session: Session | None = None) -> Opportunity | None:
        found = await self.find(opportunity_id, session)
        return found[0] if found is not None else None

    async def find(
        self, opportunity_id: str, session: Session | None = None
    ) -> tuple[Opportunity, Conversion | None] | None:
        """The opportunity and the conversion it was booked at (see `opportunity_from_doc`)."""
        doc = await self._collection.find_one({"_id": opportunity_id}, session=session)
        return opportunity_from_doc(doc) if doc is not None else None

    async def add(self, doc: Document, session: Session) -> None:
        await self._collection.insert_one(doc, session=session)
        await self._summaries.apply(None, doc, session)

    async def save(self, doc: Document, previous_version: int, session: Session) -> None:
        """Replace the stored opportunity if it is still at `previous_version` (else CONFLICT).
        The replaced document comes back with the same command: the summaries' change is
        what it held against what `doc` holds."""
        before = await self._collection.find_one_and_replace(
            {"_id": doc["_id"], "version": previous_version},
            doc,
            projection=SOURCE_FIELDS,
            session=session,
        )
        if before is None:
            raise Conflict(
                f"Opportunity {doc['_id']} was changed meanwhile; reload and retry",
                conflicting_id=str(doc["_id"]),
            )
        await self._summaries.apply(before, doc, session)

    async def column(self, pipeline_id: str, stage_id: str, session: Session) -> list[Card]:
        """The cards of one kanban column (every opportunity in the stage), rank and id."""
        cursor = self._collection.find(
            {"pipelineId": pipeline_id, "stageId": stage_id}, {"rank": 1}, session=session
        )
        return [Card(str(d["_id"]), int(d.get("rank") or 0)) async for d in cursor]

    async def set_ranks(self, ranks: Mapping[str, int], session: Session) -> None:
        """New ranks of renumbered neighbours (a rank is order only: no version change)."""
        if ranks:
            writes = [UpdateOne({"_id": i}, {"$set": {"rank": r}}) for i, r in ranks.items()]
            await self._collection.bulk_write(writes, ordered=False, session=session)

    async def in_stages(
        self, pipeline_id: str, stage_ids: Sequence[str], *, open_only: bool, session: Session
    ) -> dict[str, int]:
        """How many opportunities (open ones only, or all) sit in each of the stages."""
        match: Document = {"pipelineId": pipeline_id, "stageId": {"$in": list(stage_ids)}}
        if open_only:
            match["status"] = str(Status.OPEN)
        cursor = await self._collection.aggregate(
            [{"$match": match}, {"$group": {"_id": "$stageId", "n": {"$sum": 1}}}],
            session=session,
        )
        return {str(d["_id"]): int(d["n"]) async for d in cursor}

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        await refile(self._collection, move, session)

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        await unfile(self._collection, move, session)

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        """The personal data of the customer's deals goes: contact persons, next steps and
        closing notes (names, stages, amounts and times stay for reports)."""
        await self._collection.update_many(
            {"customerId": customer_id},
            {"$set": {"contacts": [], "nextStep": None}},
            session=session,
        )
        await self._collection.update_many(
            {"customerId": customer_id, "closing": {"$ne": None}},
            {"$set": {"closing.note": None}},
            session=session,
        )
