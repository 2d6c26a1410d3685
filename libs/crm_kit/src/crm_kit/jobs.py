"""Leased jobs: work items run once across any number of replicas, and the loop that runs them.

Two parts, used together by every scheduler and worker of the services:

- `LeasedItems` is the claim protocol on one collection whose documents carry their own
  lease: one atomic `find_one_and_update` takes the first due item whose lease is free or
  expired and sets the lease owner and expiry (and counts the attempt); the owner renews the
  lease while a long job runs, checks that an item is still its own before it records an
  outcome, and releases the lease or gives the item up. A replica that dies leaves a lease that
  expires, and another replica takes the item over. The field names are parameters
  (`LeaseFields`), so each collection keeps its stored shape. Items whose lease lives in a
  document of its own use `crm_kit.lease.Lease` (one named lease per item) instead.
- `JobRunner` is the loop: each pass claims up to `batch` items from a `JobSource` and runs
  them (one after another, or concurrently), then rests for a poll interval, cut short by
  `wake()` or by the stop event; a failed pass backs off. What is due, what running one item
  means and what a failure leads to (retry, give up) are the source's decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from crm_kit.mongo import Document, Session

_log = logging.getLogger(__name__)

type Filter = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LeaseFields:
    """Where an item document keeps its lease; `attempts` None: claims are not counted."""

    owner: str = "leaseOwner"
    until: str = "leaseUntil"
    attempts: str | None = "attempts"


class LeasedItems:
    """The claim protocol on a collection of items that carry their own lease.

    `due(now)` is the service's filter of items that are due (status, due time); `order` the
    sort among them (the earliest first). The lease condition is added here.
    """

    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        fields: LeaseFields,
        order: str,
    ) -> None:
        self._collection = collection
        self._fields = fields
        self._order = order

    def free(self, now: datetime) -> Filter:
        """Items whose lease is free (never set, released) or has expired."""
        until = self._fields.until
        return {"$or": [{until: None}, {until: {"$lte": now}}]}

    def claimable(self, due: Filter, now: datetime) -> Filter:
        free = self.free(now)
        return {**due, **free} if "$or" not in due else {"$and": [due, free]}

    def mine(self, item_id: str, owner: str) -> Filter:
        """The filter of one item while `owner` holds its lease (for conditional writes)."""
        return {"_id": item_id, self._fields.owner: owner}

    async def any_due(self, due: Filter, now: datetime) -> bool:
        """A cheap read first, so an idle replica's poll writes nothing."""
        found = await self._collection.find_one(self.claimable(due, now), {"_id": 1})
        return found is not None

    async def claim(
        self, due: Filter, owner: str, now: datetime, lease: timedelta
    ) -> Document | None:
        """Lease the first due item to `owner` in one atomic update; the item as leased."""
        update: dict[str, Any] = {
            "$set": {self._fields.owner: owner, self._fields.until: now + lease}
        }
        if self._fields.attempts is not None:
            update["$inc"] = {self._fields.attempts: 1}
        return await self._collection.find_one_and_update(
            self.claimable(due, now),
            update,
            sort=[(self._order, ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    async def renew(self, item_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend a long job's lease; False when another replica has taken the item over."""
        result = await self._collection.update_one(
            self.mine(item_id, owner), {"$set": {self._fields.until: now + lease}}
        )
        return result.matched_count == 1

    async def finish(
        self, item_id: str, owner: str, changes: Document, session: Session | None = None
    ) -> bool:
        """Write `changes` and free the lease, only while `owner` still holds it."""
        result = await self._collection.update_one(
            self.mine(item_id, owner),
            {"$set": {**changes, self._fields.owner: None, self._fields.until: None}},
            session=session,
        )
        return result.matched_count == 1

    async def release(self, item_id: str, owner: str) -> None:
        """Give the lease up (graceful stop) so another replica takes the item at once."""
        await self.finish(item_id, owner, {})

    async def give_up(self, item_id: str, owner: str, changes: Document) -> None:
        """Mark an item given up (e.g. its status FAILED), keeping its lease fields as they are."""
        await self._collection.update_one(self.mine(item_id, owner), {"$set": changes})


class JobSource[J](Protocol):
    """What a runner runs: a service's claim, its work and its failure decision."""

    async def claim(self) -> J | None:
        """Claim the next due item for this replica, or None when nothing (more) is due."""
        ...

    async def work(self, job: J, stop: asyncio.Event) -> bool:
        """Run one claimed item; True when it counts as done."""
        ...

    async def failed(self, job: J, exc: Exception) -> None:
        """`work` raised: retry later or give the item up."""
        ...


@dataclass(kw_only=True, eq=False)
class JobRunner[J]:
    """The loop of one replica's scheduler or worker (`run` is a service worker).

    `batch`: items claimed per pass; `concurrent`: run a pass's items together (else one after
    another, stopping early when asked to stop); `rest_after_work`: rest for a poll interval
    after every pass (else only after a pass that did nothing); `backoff_cap_seconds`: the
    longest rest after consecutive failed passes (poll, doubled per failure; default: poll);
    `any_due`: a cheap read before each pass, so an idle replica's poll writes nothing.
    """

    source: JobSource[J]
    name: str
    poll_seconds: float
    batch: int = 1
    concurrent: bool = False
    rest_after_work: bool = False
    backoff_cap_seconds: float | None = None
    any_due: Callable[[], Awaitable[bool]] | None = None
    done_total: int = field(default=0, init=False)
    failed_total: int = field(default=0, init=False)
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)
    _idle_stop: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def wake(self) -> None:
        """Cut the current rest short: new work was planned in this process."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Run passes until `stop` is set; the current item finishes (or stops) first."""
        failures = 0
        while not stop.is_set():
            self._wakeup.clear()
            try:
                done = await self.run_once(stop=stop)
                failures = 0
            except Exception as exc:
                failures += 1
                done = 0
                _log.warning(
                    "%s pass failed: %s", self.name, f"{type(exc).__name__}: {exc}"[:300],
                    extra={"fields": {"runner": self.name, "failures": failures}},
                )  # fmt: skip
            if self.rest_after_work or not done:
                await self._rest(stop, self._rest_seconds(failures))

    async def run_once(self, limit: int | None = None, stop: asyncio.Event | None = None) -> int:
        """One pass: claim up to `limit` (default `batch`) items and run them; how many were
        done (claimed items whose run failed are not counted)."""
        stop = stop or self._idle_stop
        if self.any_due is not None and not await self.any_due():
            return 0
        claimed: list[J] = []
        done = 0
        for _ in range(limit or self.batch):
            if stop.is_set():
                break
            job = await self.source.claim()
            if job is None:
                break
            if self.concurrent:
                claimed.append(job)
            else:
                done += await self._run_one(job, stop)
        if claimed:
            done += sum(await asyncio.gather(*(self._run_one(j, stop) for j in claimed)))
        return done

    async def _run_one(self, job: J, stop: asyncio.Event) -> int:
        try:
            ok = await self.source.work(job, stop)
        except Exception as exc:
            self.failed_total += 1
            await self.source.failed(job, exc)
            return 0
        self.done_total += int(ok)
        return int(ok)

    def _rest_seconds(self, failures: int) -> float:
        if not failures:
            return self.poll_seconds
        cap = self.backoff_cap_seconds or self.poll_seconds
        return min(cap, self.poll_seconds * 2.0 ** (failures - 1))

    async def _rest(self, stop: asyncio.Event, seconds: float) -> None:
        """Wait for `seconds`, a wake-up or the stop, whichever comes first."""
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wakeup.wait())]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED), seconds
            )
        for waiter in waiters:
            waiter.cancel()
