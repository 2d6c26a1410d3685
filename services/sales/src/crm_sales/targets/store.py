"""MongoDB adapters of targets: the targets themselves (`sales_targets`), the sales staff as
targets read them from the staff directory (`staff`), and the index attainment reads deals
with.

A target document holds its subject, its period (kind, year, number, and the instants it
starts and ends at, so that deals are matched by time alone) and its goal as a decimal string
plus exact minor units, never a float. The unique index over subject, period kind and period
start is what keeps one target per subject and period, also against concurrent writers.

The period start depends on the settings (fiscal year start, time zone): changing them once
targets exist leaves the old targets on the old calendar, so set them before the first target.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session
from crm_kit.staff import STAFF
from crm_sales.assignment.staff_store import active_since
from crm_sales.money.model import Money
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.targets.model import (
    SELLING_ROLES,
    Goal,
    StaffRecord,
    Subject,
    SubjectKind,
    Target,
)
from crm_sales.targets.periods import Period, PeriodKind, SalesCalendar

TARGETS = "sales_targets"
CLOSED_DEALS_INDEX = "status_closed_owner_team"
MAX_MEMBERS = 1000  # members read per team: far above any real team

INDEXES: list[IndexSpec] = [
    IndexSpec(
        TARGETS,
        (
            IndexModel(
                [
                    ("subjectKind", ASCENDING),
                    ("subjectId", ASCENDING),
                    ("periodKind", ASCENDING),
                    ("periodStart", ASCENDING),
                ],
                name="subject_period",
                unique=True,
            ),
            IndexModel([("periodStart", ASCENDING), ("_id", ASCENDING)], name="period_start"),
        ),
    ),
    # Attainment: the deals won or lost in a period, by owner or team, read from the index
    # keys (status and close time bound the scan; owner and team filter it).
    IndexSpec(
        OPPORTUNITIES,
        (
            IndexModel(
                [
                    ("status", ASCENDING),
                    ("closing.at", ASCENDING),
                    ("ownerId", ASCENDING),
                    ("team", ASCENDING),
                ],
                name=CLOSED_DEALS_INDEX,
            ),
        ),
    ),
]


def subject_query(subject: Subject) -> Document:
    return {"subjectKind": str(subject.kind), "subjectId": subject.id}


def period_query(period: Period) -> Document:
    return {"periodKind": str(period.kind), "periodStart": period.starts_at}


def target_to_doc(target: Target, created_at: datetime, created_by: str) -> Document:
    goal, period = target.goal, target.period
    return {
        "_id": target.id,
        **subject_query(target.subject),
        **period_query(period),
        "periodYear": period.year,
        "periodNumber": period.number,
        "periodEnd": period.ends_at,
        "label": period.label,
        "amount": goal.amount.text,
        "currency": goal.amount.currency,
        "amountMinor": goal.amount.minor,
        "wonDeals": goal.won_deals,
        "version": target.version,
        "createdAt": created_at,
        "createdBy": created_by,
        "updatedAt": target.updated_at,
        "updatedBy": target.updated_by,
    }


def target_from_doc(doc: Document, calendar: SalesCalendar) -> Target:
    period = Period(
        PeriodKind(doc["periodKind"]), int(doc["periodYear"]), int(doc["periodNumber"]), calendar
    )
    won_deals = doc.get("wonDeals")
    return Target(
        id=str(doc["_id"]),
        subject=Subject(SubjectKind(doc["subjectKind"]), str(doc["subjectId"])),
        period=period,
        goal=Goal(
            Money(Decimal(doc["amount"]), doc["currency"]),
            int(won_deals) if won_deals is not None else None,
        ),
        version=int(doc["version"]),
        updated_at=doc["updatedAt"],
        updated_by=str(doc["updatedBy"]),
    )


class TargetRepository:
    def __init__(self, db: AsyncDatabase[Document], calendar: SalesCalendar) -> None:
        self._collection = db[TARGETS]
        self._calendar = calendar

    async def find(
        self, subject: Subject, period: Period, session: Session | None = None
    ) -> Target | None:
        doc = await self._collection.find_one(
            {**subject_query(subject), **period_query(period)}, session=session
        )
        return target_from_doc(doc, self._calendar) if doc is not None else None

    async def of_people(
        self, staff_ids: Sequence[str], period: Period, session: Session | None = None
    ) -> list[Target]:
        """The targets of these people for the period (a team's members': its roll-up)."""
        if not staff_ids:
            return []
        query = {
            "subjectKind": str(SubjectKind.PERSON),
            "subjectId": {"$in": list(dict.fromkeys(staff_ids))},
            **period_query(period),
        }
        cursor = self._collection.find(query, session=session).sort("subjectId", ASCENDING)
        return [target_from_doc(d, self._calendar) async for d in cursor]

    async def add(self, target: Target, session: Session) -> None:
        """Insert a new target (DuplicateKeyError when the subject has one for the period)."""
        doc = target_to_doc(target, target.updated_at, target.updated_by)
        await self._collection.insert_one(doc, session=session)

    async def replace(self, target: Target, previous_version: int, session: Session) -> None:
        """The new goal of a target still at `previous_version` (else CONFLICT)."""
        result = await self._collection.update_one(
            {"_id": target.id, "version": previous_version},
            {
                "$set": {
                    "amount": target.goal.amount.text,
                    "currency": target.goal.amount.currency,
                    "amountMinor": target.goal.amount.minor,
                    "wonDeals": target.goal.won_deals,
                    "version": target.version,
                    "updatedAt": target.updated_at,
                    "updatedBy": target.updated_by,
                }
            },
            session=session,
        )
        if result.matched_count != 1:
            raise Conflict(f"Target {target.id} was changed meanwhile", conflicting_id=target.id)

    async def delete(self, target: Target, session: Session) -> None:
        result = await self._collection.delete_one(
            {"_id": target.id, "version": target.version}, session=session
        )
        if result.deleted_count != 1:
            raise Conflict(f"Target {target.id} was changed meanwhile", conflicting_id=target.id)


def staff_from_doc(doc: Document) -> StaffRecord:
    return StaffRecord(
        id=str(doc["_id"]),
        name=str(doc.get("name") or ""),
        team=str(doc.get("team") or ""),
        roles=frozenset(str(r) for r in doc.get("roles") or ()),
    )


class StaffRoster:
    """The sales staff as targets read them from the staff directory sales keeps (written
    just in time from tokens: `assignment.staff_store`). Active means seen lately, as for the
    assignment rules: sales hears of no departures, so a member counts while their tokens keep
    coming."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[STAFF]

    async def get(self, staff_id: str, now: datetime | None = None) -> StaffRecord | None:
        """A member of the sales staff (SALES or MANAGER); active ones only when `now` is
        given (who may get a target), any who ever was otherwise (whose figures may be read)."""
        query: Document = {"_id": staff_id, "roles": {"$in": sorted(SELLING_ROLES)}}
        if now is not None:
            query["seenAt"] = {"$gte": active_since(now)}
        doc = await self._c.find_one(query)
        return staff_from_doc(doc) if doc is not None else None

    async def members(self, team: str, now: datetime) -> list[StaffRecord]:
        """The team's active sales staff, by staff id."""
        query = {
            "team": team,
            "roles": {"$in": sorted(SELLING_ROLES)},
            "seenAt": {"$gte": active_since(now)},
        }
        cursor = self._c.find(query).sort("_id", ASCENDING).limit(MAX_MEMBERS)
        return [staff_from_doc(d) async for d in cursor]
