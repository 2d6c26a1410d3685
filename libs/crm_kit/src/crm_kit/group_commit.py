"""Group commit for a consumer: the events delivered together are applied in one transaction.

A backlog of small events (a bulk import's thousand) costs a transaction each — on a database
that runs one transaction at a time, most of the backlog's time. `GroupCommit` gathers the
events that are waiting (up to `size`, after `linger` seconds for the rest of a delivery to
arrive) and applies them with one `apply_many` call; each caller learns whether its event was
applied that way. A group that fails is applied by nobody (its transaction rolled back): every
caller then applies its own event alone, so a poison event meets its retries and dead-letter
queue by itself and takes no good event with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from crm_kit.events import CloudEvent

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Waiting[H]:
    event: CloudEvent
    handler: H
    applied: asyncio.Future[bool]


type ApplyMany[H] = Callable[[Sequence[Waiting[H]]], Awaitable[None]]


class GroupCommit[H]:
    def __init__(self, apply_many: ApplyMany[H], size: int, linger: float = 0.01) -> None:
        self._apply_many = apply_many
        self._size = max(1, size)
        self._linger = linger
        self._waiting: list[Waiting[H]] = []
        self._drain: asyncio.Task[None] | None = None

    async def apply(self, event: CloudEvent, handler: H) -> bool:
        """True once `event` was applied with a group; False: the caller applies it alone."""
        waiting = Waiting(event, handler, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._drain is None or self._drain.done():
            self._drain = asyncio.create_task(self._drain_all())
        try:
            return await asyncio.shield(waiting.applied)
        except asyncio.CancelledError:
            if not waiting.applied.done():  # never joins a group now
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiting)
            raise

    async def _drain_all(self) -> None:
        while self._waiting:
            if len(self._waiting) < self._size:
                await asyncio.sleep(self._linger)  # the rest of the delivery joins
            group, self._waiting = self._waiting[: self._size], self._waiting[self._size :]
            applied = True
            try:
                await self._apply_many(group)
            except asyncio.CancelledError:
                for waiting in group:
                    waiting.applied.cancel()
                raise
            except Exception:
                _log.info("group of %d events failed; applying them one by one", len(group))
                applied = False
            for waiting in group:
                if not waiting.applied.done():
                    waiting.applied.set_result(applied)
