"""MongoDB adapter of forecasts: the submissions (`forecast_submissions`, append-only: a
submission is never changed or removed, the latest counts) and the index the open deals of a
period are read with.

A submission holds its subject, its period (kind, year, number and start, like a target) and
its amount as a decimal string plus exact minor units, never a float.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.forecast.model import Submission, SubmissionKind
from crm_sales.money.model import Money
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.targets.model import Subject, SubjectKind
from crm_sales.targets.periods import Period, PeriodKind, SalesCalendar
from crm_sales.targets.store import period_query

SUBMISSIONS = "forecast_submissions"
OPEN_DEALS_INDEX = "status_expected_close_owner_team"
MAX_SUBMISSIONS = 100  # read per subject and period: the latest ones

INDEXES: list[IndexSpec] = [
    IndexSpec(
        SUBMISSIONS,
        (
            IndexModel(
                [
                    ("subjectKind", ASCENDING),
                    ("subjectId", ASCENDING),
                    ("periodKind", ASCENDING),
                    ("periodStart", ASCENDING),
                    ("submittedAt", DESCENDING),
                ],
                name="subject_period_submitted",
            ),
        ),
    ),
    # The open deals expected to close in a period, by owner or team: status and expected
    # close date bound the scan, owner and team filter it on the index keys.
    IndexSpec(
        OPPORTUNITIES,
        (
            IndexModel(
                [
                    ("status", ASCENDING),
                    ("expectedCloseDate", ASCENDING),
                    ("ownerId", ASCENDING),
                    ("team", ASCENDING),
                ],
                name=OPEN_DEALS_INDEX,
            ),
        ),
    ),
]


def submission_to_doc(s: Submission) -> Document:
    period = s.period
    return {
        "_id": s.id,
        "subjectKind": str(s.subject.kind),
        "subjectId": s.subject.id,
        **period_query(period),
        "periodYear": period.year,
        "periodNumber": period.number,
        "label": period.label,
        "amount": s.amount.text,
        "currency": s.amount.currency,
        "amountMinor": s.amount.minor,
        "note": s.note,
        "kind": str(s.kind),
        "submittedBy": s.submitted_by,
        "submittedAt": s.submitted_at,
    }


def submission_from_doc(doc: Document, calendar: SalesCalendar) -> Submission:
    return Submission(
        id=str(doc["_id"]),
        subject=Subject(SubjectKind(doc["subjectKind"]), str(doc["subjectId"])),
        period=Period(
            PeriodKind(doc["periodKind"]),
            int(doc["periodYear"]),
            int(doc["periodNumber"]),
            calendar,
        ),
        amount=Money(Decimal(doc["amount"]), doc["currency"]),
        note=doc.get("note"),
        kind=SubmissionKind(doc["kind"]),
        submitted_by=str(doc["submittedBy"]),
        submitted_at=doc["submittedAt"],
    )


class SubmissionRepository:
    def __init__(self, db: AsyncDatabase[Document], calendar: SalesCalendar) -> None:
        self._collection = db[SUBMISSIONS]
        self._calendar = calendar

    async def add(self, submission: Submission, session: Session) -> None:
        await self._collection.insert_one(submission_to_doc(submission), session=session)

    async def latest(
        self,
        subjects: Sequence[Subject],
        period: Period,
        session: Session | None = None,
        *,
        limit: int = MAX_SUBMISSIONS,
    ) -> list[Submission]:
        """The subjects' submissions for the period, latest first (the `limit` latest)."""
        if not subjects:
            return []
        cursor = (
            self._collection.find(_of(subjects, period), session=session)
            .sort([("submittedAt", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [submission_from_doc(d, self._calendar) async for d in cursor]

    async def standing(self, subjects: Sequence[Subject], period: Period) -> list[Submission]:
        """Per subject, its latest submission made before the period started (none: left
        out): one aggregate over the subjects' submissions of the period."""
        if not subjects:
            return []
        match = {**_of(subjects, period), "submittedAt": {"$lt": period.starts_at}}
        cursor = await self._collection.aggregate(
            [
                {"$match": match},
                {"$sort": {"submittedAt": DESCENDING, "_id": DESCENDING}},
                {"$group": {"_id": ["$subjectKind", "$subjectId"], "doc": {"$first": "$$ROOT"}}},
            ]
        )
        return [submission_from_doc(d["doc"], self._calendar) async for d in cursor]


def _of(subjects: Sequence[Subject], period: Period) -> Document:
    return {
        "$or": [
            {"subjectKind": str(s.kind), "subjectId": s.id, **period_query(period)}
            for s in dict.fromkeys(subjects)
        ]
    }
