"""Assignment rules: the part every service's rules share (pure, no I/O).

A service keeps its own rules (what they match on is its own: a customer's place and
industry, a deal's pipeline and amount) and hands them here to be tried in one order: by
`position`, then by id, inactive ones skipped, the first match wins. The matching rule names a
team; among the team's members of `PICKED_ROLE` (by id) the owner is picked `ROUND_ROBIN`
(a per-rule counter, `crm_kit.assignment_turns`) or `LEAST_LOADED` (the fewest of the
service's live records; ties broken by the same counter, so concurrent creates spread out
rather than all landing on the same person).

The API texts of `Strategy` live here too: the services expose this one enum as the one
GraphQL enum `AssignmentStrategy`, and strawberry describes an enum in place, so two services
describing it differently would overwrite each other within one process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import StrEnum
from typing import Protocol

PICKED_ROLE = "SALES"  # rules hand records to the team's salespeople
MAX_TEAM = 1000  # members read per team: far above any real team


class Strategy(StrEnum):
    ROUND_ROBIN = "ROUND_ROBIN"
    LEAST_LOADED = "LEAST_LOADED"


STRATEGY_DESCRIPTION = (
    "How an assignee is picked among a team's active members (see the argument or field "
    "taking it for whom and by which load)."
)
STRATEGY_VALUES: Mapping[Strategy, str] = {
    # Word for word as the interaction service's own copy of this enum says it (one GraphQL
    # enum across subgraphs); an opportunity rule's load is told by the fields that take it.
    Strategy.LEAST_LOADED: "The member with the least load now (an assignment rule: the "
    "fewest live customers, ties in turn; assignTicket: the fewest open tickets, ties by id).",
    Strategy.ROUND_ROBIN: "The members in turn, in id order (an assignment rule keeps its "
    "counter).",
}


class RankedRule(Protocol):
    """What ordering needs of a rule: its id, its place in the order and whether it is on."""

    @property
    def id(self) -> str: ...

    @property
    def position(self) -> int: ...

    @property
    def active(self) -> bool: ...


def ordered[R: RankedRule](rules: Sequence[R]) -> list[R]:
    """The rules in the order they are tried: by position, ties by id (stable across reads)."""
    return sorted(rules, key=lambda r: (r.position, r.id))


def first_match[R: RankedRule](rules: Sequence[R], matches: Callable[[R], bool]) -> R | None:
    """The first active rule, in trying order, that `matches` accepts; None when none does."""
    return next((r for r in ordered(rules) if r.active and matches(r)), None)


def pick(
    strategy: Strategy, staff_ids: Sequence[str], counter: int, loads: Mapping[str, int]
) -> str:
    """The owner among `staff_ids` (non-empty): deterministic for a given counter and loads.

    ROUND_ROBIN: the counter-th member (counter counts from 1). LEAST_LOADED: among the
    members with the least load, the counter-th one.
    """
    members = sorted(staff_ids)
    if strategy is Strategy.LEAST_LOADED:
        low = min(loads.get(s, 0) for s in members)
        members = [s for s in members if loads.get(s, 0) == low]
    return members[(counter - 1) % len(members)]


async def pick_member(
    strategy: Strategy,
    members: Sequence[str],
    turn: Callable[[], Awaitable[int]],
    loads: Callable[[list[str]], Awaitable[Mapping[str, int]]],
) -> str | None:
    """`pick` with what it needs fetched: the loads only for LEAST_LOADED, and a turn only
    when there is someone to pick (None: nobody, and no turn taken)."""
    if not members:
        return None
    found = await loads(list(members)) if strategy is Strategy.LEAST_LOADED else {}
    return pick(strategy, members, await turn(), found)
