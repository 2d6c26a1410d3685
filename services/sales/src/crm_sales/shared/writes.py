"""What every feature's write use cases are handed (built once in app.py): the unit of work
each change runs in, the clock it runs at and the idempotency guards of its creates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_kit.auth import Principal, Role
from crm_kit.idempotency import IdempotencyGuards
from crm_kit.uow import UnitOfWork
from crm_sales.shared.clock import Clock, to_storage_time


@dataclass(frozen=True, slots=True)
class Writes:
    uow: UnitOfWork
    clock: Clock
    guards: IdempotencyGuards

    def now(self) -> datetime:
        """The clock's time as it is stored (UTC, milliseconds)."""
        return to_storage_time(self.clock())


def require_admin(principal: Principal) -> None:
    """Pipelines, close reasons, exchange rates, products and price books are the ADMIN's:
    FORBIDDEN for every other role."""
    principal.require_role(Role.ADMIN)
