"""The job runner's loop without a database: passes, batches, failures, wake-ups and stop."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from crm_kit.jobs import JobRunner


@dataclass
class Queue:
    """A source over a list: claims pop items; `bad` ones raise when worked."""

    items: list[int]
    bad: set[int] = field(default_factory=set)
    worked: list[int] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    claims: int = 0
    hold: asyncio.Event | None = None

    async def claim(self) -> int | None:
        self.claims += 1
        return self.items.pop(0) if self.items else None

    async def work(self, job: int, stop: asyncio.Event) -> bool:
        if self.hold is not None:
            await self.hold.wait()
        if job in self.bad:
            raise RuntimeError(f"job {job} broke")
        self.worked.append(job)
        return True

    async def failed(self, job: int, exc: Exception) -> None:
        self.failures.append((job, str(exc)))


async def test_a_pass_claims_up_to_its_batch_and_counts_what_was_done() -> None:
    queue = Queue([1, 2, 3, 4, 5], bad={2})
    runner = JobRunner(source=queue, name="test", poll_seconds=1.0, batch=3)
    assert await runner.run_once() == 2
    assert queue.worked == [1, 3]
    assert queue.failures == [(2, "job 2 broke")]
    assert (runner.done_total, runner.failed_total) == (2, 1)
    assert await runner.run_once(limit=10) == 2
    assert await runner.run_once() == 0


async def test_concurrent_passes_run_their_items_together() -> None:
    hold = asyncio.Event()
    queue = Queue([1, 2, 3], hold=hold)
    runner = JobRunner(source=queue, name="test", poll_seconds=1.0, batch=3, concurrent=True)
    task = asyncio.create_task(runner.run_once())
    await asyncio.sleep(0.05)
    assert queue.claims == 3 and queue.worked == [], "all three claimed before any finished"
    hold.set()
    assert await task == 3


async def test_no_pass_when_nothing_is_due() -> None:
    queue = Queue([1])

    async def nothing_due() -> bool:
        return False

    runner = JobRunner(source=queue, name="test", poll_seconds=1.0, any_due=nothing_due)
    assert await runner.run_once() == 0
    assert queue.claims == 0


async def test_the_loop_stops_promptly_and_a_wake_up_cuts_the_rest_short() -> None:
    queue = Queue([])
    runner = JobRunner(source=queue, name="test", poll_seconds=30.0)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(0.05)
    queue.items.append(7)
    runner.wake()
    for _ in range(100):
        if queue.worked:
            break
        await asyncio.sleep(0.01)
    assert queue.worked == [7], "woken long before the 30 s poll"
    stop.set()
    await asyncio.wait_for(task, 1.0)


async def test_a_failing_pass_backs_off_and_the_loop_survives() -> None:
    calls: list[float] = []

    class Broken(Queue):
        async def claim(self) -> int | None:
            calls.append(asyncio.get_running_loop().time())
            raise ConnectionError("database away")

    runner = JobRunner(source=Broken([]), name="test", poll_seconds=0.02, backoff_cap_seconds=0.16)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(task, 1.0)
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert 3 <= len(calls) <= 10, calls
    assert gaps[-1] >= 0.15 > gaps[0], gaps  # doubled per failure, up to the cap


async def test_without_a_cap_a_failing_pass_waits_one_poll() -> None:
    runner = JobRunner(source=Queue([]), name="test", poll_seconds=0.5)
    assert runner._rest_seconds(0) == runner._rest_seconds(5) == 0.5
