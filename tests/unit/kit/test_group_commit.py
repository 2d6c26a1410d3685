"""Group commit (crm_kit.group_commit): the events delivered together are applied by one
call; a failed group is applied by nobody, and each caller then applies its event alone."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from crm_kit.events import CloudEvent
from crm_kit.group_commit import GroupCommit, Waiting


def event(n: int) -> CloudEvent:
    return CloudEvent(type="x.happened.v1", source="test", subject=str(n), data={"n": n})


async def test_events_delivered_together_are_applied_in_groups_of_at_most_size() -> None:
    groups: list[list[str]] = []

    async def apply_many(group: Sequence[Waiting[str]]) -> None:
        groups.append([w.event.subject for w in group])

    commit = GroupCommit(apply_many, size=4)
    results = await asyncio.gather(*(commit.apply(event(n), "handler") for n in range(10)))
    assert results == [True] * 10
    assert [len(g) for g in groups] == [4, 4, 2]
    assert [s for g in groups for s in g] == [str(n) for n in range(10)]


async def test_a_failed_group_leaves_every_event_to_its_caller() -> None:
    async def apply_many(group: Sequence[Waiting[str]]) -> None:
        if any(w.event.data["n"] == 3 for w in group):
            raise RuntimeError("poison")

    commit = GroupCommit(apply_many, size=4)
    results = await asyncio.gather(*(commit.apply(event(n), "handler") for n in range(6)))
    assert results == [False, False, False, False, True, True]
