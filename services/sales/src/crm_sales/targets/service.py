"""Target use cases: set and clear a target (ADMIN any, MANAGER their own team's and its
members'), each in one unit of work with its audit entry. People and teams are checked
against the staff directory sales keeps from its callers' tokens (`store.StaffRoster`).

Setting is create-or-change by subject and period: without `expectedVersion` it creates the
target and refuses when the subject already has one for that period (CONFLICT naming
`period`, with the existing target's id and version); with it, it changes that target if it
is still at that version. The subject is checked before the caller's rights, because whether
a MANAGER may set it depends on the team the person belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_kit import audit
from crm_kit.audit import Change
from crm_kit.auth import Principal
from crm_kit.errors import Conflict, FieldError, Forbidden, NotFound
from crm_kit.events import new_id
from crm_kit.uow import Transaction
from crm_sales.shared.writes import Writes
from crm_sales.targets.model import (
    Goal,
    PeriodInput,
    Subject,
    SubjectInput,
    SubjectKind,
    Target,
    TargetError,
    TargetExists,
    may_set,
    read_goal,
    subject_and_period,
    unknown_subject,
)
from crm_sales.targets.periods import Period, SalesCalendar
from crm_sales.targets.store import StaffRoster, TargetRepository
from crm_sales.validation import collect, raise_if_any

KIND = "SalesTarget"


@dataclass(frozen=True, slots=True)
class TargetChange:
    """What `setSalesTarget` asks for, as given (checked by the use case)."""

    subject: SubjectInput
    period: PeriodInput
    amount: str
    won_deals: int | None = None


def _key(subject: Subject, period: Period) -> str:
    """How a missing target is named in NOT_FOUND: its subject and period."""
    return f"{subject.kind}:{subject.id}:{period.label}"


def forbidden(action: str, subject: Subject) -> Forbidden:
    return Forbidden(
        f"Not allowed: {action} the target of {subject.kind.lower()} {subject.id}",
        action=action.upper(),
        resource=KIND,
    )


async def team_of(roster: StaffRoster, subject: Subject, now: datetime) -> str:
    """The team a subject belongs to (a person's, from the directory); BAD_USER_INPUT
    (`subject.staffId` UNKNOWN_STAFF, `subject.team` UNKNOWN_TEAM) for a person who is not
    active sales staff and a team without any."""
    if subject.kind is SubjectKind.TEAM:
        if not await roster.members(subject.id, now):
            raise unknown_subject(subject)
        return subject.id
    person = await roster.get(subject.id, now)
    if person is None:
        raise unknown_subject(subject)
    return person.team


class TargetService:
    def __init__(
        self,
        writes: Writes,
        targets: TargetRepository,
        roster: StaffRoster,
        *,
        calendar: SalesCalendar,
        base_currency: str,
    ) -> None:
        self._writes = writes
        self._targets = targets
        self._roster = roster
        self._calendar = calendar
        self._base = base_currency

    async def set(
        self, principal: Principal, change: TargetChange, expected_version: int | None = None
    ) -> Target:
        subject, period, goal = self._checked(change)
        await self._require_setter(principal, subject, "set")

        async def work(tx: Transaction) -> Target:
            current = await self._targets.find(subject, period, tx.session)
            if current is None:
                if expected_version is not None:  # the caller changes a target since cleared
                    raise NotFound(KIND, _key(subject, period))
                now = self._writes.now()
                return await self._create(
                    tx, Target(new_id(), subject, period, goal, 1, now, principal.sub)
                )
            if expected_version is None:
                raise TargetExists(current)
            return await self._change(tx, current, goal, expected_version, principal.sub)

        try:
            return await self._writes.uow.run(work)
        except DuplicateKeyError:  # another writer created it between our read and insert
            existing = await self._targets.find(subject, period)
            if existing is None:
                raise
            raise TargetExists(existing) from None

    async def clear(
        self,
        principal: Principal,
        subject_input: SubjectInput,
        period_input: PeriodInput,
        expected_version: int | None = None,
    ) -> Target:
        """Remove a subject's target for a period; the target as it was."""
        subject, period = subject_and_period(subject_input, period_input, self._calendar)
        await self._require_setter(principal, subject, "clear")

        async def work(tx: Transaction) -> Target:
            current = await self._targets.find(subject, period, tx.session)
            if current is None:
                raise NotFound(KIND, _key(subject, period))
            _check_version(current, expected_version)
            await self._targets.delete(current, tx.session)
            audit.record(
                tx,
                "sales_target.clear",
                KIND,
                current.id,
                changes=[Change("amount", current.goal.amount.text, None)],
                details=_details(current),
            )
            return current

        return await self._writes.uow.run(work)

    def _checked(self, change: TargetChange) -> tuple[Subject, Period, Goal]:
        """Subject, period and goal, every problem of the three reported at once."""
        errors: list[FieldError] = []
        named = collect(
            errors, lambda: subject_and_period(change.subject, change.period, self._calendar)
        )
        goal = collect(errors, lambda: read_goal(change.amount, change.won_deals, self._base))
        raise_if_any(errors, TargetError, "The target is invalid")
        assert named is not None and goal is not None
        return *named, goal

    async def _require_setter(self, principal: Principal, subject: Subject, action: str) -> None:
        team = await team_of(self._roster, subject, self._writes.now())
        if not may_set(principal, team):
            raise forbidden(action, subject)

    async def _create(self, tx: Transaction, target: Target) -> Target:
        await self._targets.add(target, tx.session)
        audit.record(
            tx,
            "sales_target.set",
            KIND,
            target.id,
            changes=_goal_changes(None, target.goal),
            details=_details(target),
        )
        return target

    async def _change(
        self, tx: Transaction, current: Target, goal: Goal, expected_version: int, actor: str
    ) -> Target:
        _check_version(current, expected_version)
        changed = replace(
            current,
            goal=goal,
            version=current.version + 1,
            updated_at=self._writes.now(),
            updated_by=actor,
        )
        await self._targets.replace(changed, current.version, tx.session)
        audit.record(
            tx,
            "sales_target.set",
            KIND,
            changed.id,
            changes=_goal_changes(current.goal, goal),
            details=_details(changed),
        )
        return changed


def _check_version(current: Target, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != current.version:
        raise Conflict(
            f"Target {current.id} was changed by someone else (version {current.version}, "
            f"you had {expected_version})",
            conflicting_id=current.id,
            currentVersion=current.version,
        )


def _goal_changes(before: Goal | None, after: Goal) -> list[Change]:
    changes = [Change("amount", before.amount.text if before else None, after.amount.text)]
    old_deals = before.won_deals if before else None
    if old_deals != after.won_deals:
        changes.append(
            Change(
                "wonDeals",
                str(old_deals) if old_deals is not None else None,
                str(after.won_deals) if after.won_deals is not None else None,
            )
        )
    return changes


def _details(target: Target) -> dict[str, str | int]:
    return {
        "subjectKind": str(target.subject.kind),
        "subjectId": target.subject.id,
        "period": target.period.label,
        "version": target.version,
    }
