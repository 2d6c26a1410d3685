"""Read side of a customer projection: who customers are in the service, and under which
customer a new record naming a customer is filed — the survivor its merges lead to, once the
projection has seen it. Each service says what it does with a customer it cannot file under
(interaction: NOT_FOUND; sales: BAD_USER_INPUT)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from crm_kit.customer_projection.model import ERASED, MERGED, CustomerView
from crm_kit.mongo import Session

# The projection lags customer creation by milliseconds: wait this long before giving up.
CUSTOMER_WAIT_SECONDS = 2.0
FIRST_DELAY_SECONDS = 0.05
MAX_DELAY_SECONDS = 0.4


class CustomerReader[V: CustomerView](Protocol):
    """What the read side needs of the projection's repository."""

    async def get(self, customer_id: str, session: Session | None = None) -> V | None: ...

    async def get_many(self, customer_ids: Sequence[str]) -> dict[str, V]: ...


@dataclass(frozen=True, slots=True)
class Filing[V: CustomerView]:
    """Where a new record of a customer goes: `view`, the survivor its merges lead to (None:
    erased, not seen in time, or a cycle of merges, which is a broken feed); `last_id`, the
    last customer looked at on the way."""

    view: V | None
    last_id: str


class CustomerQueries[V: CustomerView]:
    """`snapshot_required`: a customer only known from a lifecycle event (a version-0 stub)
    is not seen yet, and is waited for like an unknown one."""

    def __init__(
        self,
        customers: CustomerReader[V],
        wait_seconds: float = CUSTOMER_WAIT_SECONDS,
        *,
        snapshot_required: bool = False,
    ) -> None:
        self._customers = customers
        self._wait_seconds = wait_seconds
        self._snapshot_required = snapshot_required

    async def get_many(self, customer_ids: Sequence[str]) -> dict[str, V]:
        return await self._customers.get_many(customer_ids)

    async def filing(self, customer_id: str) -> Filing[V]:
        """Follow the customer's merges to the survivor; wait (backing off) while the
        projection has not seen the customer, up to `wait_seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        delay, seen, current = FIRST_DELAY_SECONDS, {customer_id}, customer_id
        while True:
            view = await self._customers.get(current)
            if view is not None and view.lifecycle == MERGED and view.merged_into:
                if view.merged_into in seen:  # pragma: no cover - a merge cycle: a broken feed
                    return Filing(None, current)
                seen.add(view.merged_into)
                current = view.merged_into
                continue
            if view is not None and self._seen(view):
                return Filing(None if view.lifecycle == ERASED else view, current)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return Filing(None, current)
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, MAX_DELAY_SECONDS)

    def _seen(self, view: V) -> bool:
        return view.version > 0 or not self._snapshot_required
