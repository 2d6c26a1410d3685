"""Forecast use cases: `submitForecast` — a person's own number for a period, or a manager's
(or an ADMIN's) adjustment of a member's or a team's number with a note — appended in one
unit of work with its audit entry. Submissions are never changed: the latest counts.

The subject is checked against the staff directory first (UNKNOWN_STAFF / UNKNOWN_TEAM),
because whether a MANAGER may adjust a person's number depends on the team they belong to;
then the caller's right (`model.submission_kind`: FORBIDDEN naming the subject's field), then
the note an adjustment needs and the period (a period already over is refused).
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit import audit
from crm_kit.audit import Change
from crm_kit.auth import Principal
from crm_kit.errors import FieldError
from crm_kit.events import new_id
from crm_kit.uow import Transaction
from crm_sales.forecast.model import (
    KIND,
    ForecastError,
    Submission,
    read_submission,
    require_note,
    require_open,
    submission_kind,
)
from crm_sales.forecast.store import SubmissionRepository
from crm_sales.money.model import Money
from crm_sales.shared.writes import Writes
from crm_sales.targets.model import PeriodInput, Subject, SubjectInput, subject_and_period
from crm_sales.targets.periods import Period, SalesCalendar
from crm_sales.targets.service import team_of
from crm_sales.targets.store import StaffRoster
from crm_sales.validation import collect, raise_if_any


@dataclass(frozen=True, slots=True)
class ForecastSubmission:
    """What `submitForecast` asks for, as given (checked by the use case)."""

    subject: SubjectInput
    period: PeriodInput
    amount: str
    note: str | None = None


class ForecastService:
    def __init__(
        self,
        writes: Writes,
        submissions: SubmissionRepository,
        roster: StaffRoster,
        *,
        calendar: SalesCalendar,
        base_currency: str,
    ) -> None:
        self._writes = writes
        self._submissions = submissions
        self._roster = roster
        self._calendar = calendar
        self._base = base_currency

    async def submit(self, principal: Principal, given: ForecastSubmission) -> Submission:
        """Append the number (its audit entry holds the amount it replaces as the latest)."""
        subject, period, (amount, note) = self._checked(given)
        now = self._writes.now()
        team = await team_of(self._roster, subject, now)
        kind = submission_kind(principal, subject, team)
        require_note(kind, note)
        require_open(period, now)
        submission = Submission(new_id(), subject, period, amount, note, kind, principal.sub, now)

        async def work(tx: Transaction) -> Submission:
            previous = await self._submissions.latest([subject], period, tx.session, limit=1)
            await self._submissions.add(submission, tx.session)
            audit.record(
                tx,
                "sales_forecast.submit",
                KIND,
                submission.id,
                changes=[
                    Change("amount", _text(previous[0].amount if previous else None), amount.text)
                ],
                details=_details(submission, team),
            )
            return submission

        return await self._writes.uow.run(work)

    def _checked(
        self, given: ForecastSubmission
    ) -> tuple[Subject, Period, tuple[Money, str | None]]:
        """Subject, period, amount and note, every problem of them reported at once."""
        errors: list[FieldError] = []
        named = collect(
            errors, lambda: subject_and_period(given.subject, given.period, self._calendar)
        )
        read = collect(errors, lambda: read_submission(given.amount, given.note, self._base))
        raise_if_any(errors, ForecastError, "The forecast is invalid")
        assert named is not None and read is not None
        return *named, read


def _text(amount: Money | None) -> str | None:
    return amount.text if amount is not None else None


def _details(submission: Submission, team: str) -> dict[str, str]:
    return {
        "subjectKind": str(submission.subject.kind),
        "subjectId": submission.subject.id,
        "team": team,
        "period": submission.period.label,
        "kind": str(submission.kind),
    }
