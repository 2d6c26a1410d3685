"""Per-request DataLoaders: many entity fields in one `_entities` call → one query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from strawberry.dataloader import DataLoader

from crm_interaction.graphql.context import Info
from crm_interaction.insight.model import Insight, compute
from crm_interaction.purchases.model import Purchase
from crm_interaction.shared.paging import Keyset
from crm_interaction.tasks.model import Task
from crm_interaction.ticket_views import TicketFilter
from crm_interaction.tickets.model import Ticket
from crm_interaction.timeline.model import TimelineEntry, TimelineKind
from crm_interaction.views import Page


def last_interaction_at(info: Info) -> DataLoader[str, datetime | None]:
    views = info.context.deps.views

    async def load(customer_ids: list[str]) -> list[datetime | None]:
        latest = await views.last_occurred_at(customer_ids)
        return [latest.get(customer_id) for customer_id in customer_ids]

    return info.context.loader("lastInteractionAt", load)


def open_tickets(info: Info) -> DataLoader[str, list[Ticket]]:
    views = info.context.deps.ticket_views

    async def load(customer_ids: list[str]) -> list[list[Ticket]]:
        found = await views.open_for_customers(customer_ids)
        return [found.get(customer_id, []) for customer_id in customer_ids]

    return info.context.loader("openTickets", load)


def open_tasks(info: Info) -> DataLoader[str, list[Task]]:
    views = info.context.deps.ticket_views

    async def load(customer_ids: list[str]) -> list[list[Task]]:
        found = await views.open_tasks_for_customers(customer_ids)
        return [found.get(customer_id, []) for customer_id in customer_ids]

    return info.context.loader("openTasks", load)


def insights(info: Info) -> DataLoader[str, Insight]:
    deps = info.context.deps

    async def load(customer_ids: list[str]) -> list[Insight]:
        now = deps.clock()
        base = await deps.insight.distribution(now)
        facts = await deps.insight.facts(customer_ids, now)
        return [compute(facts[customer_id], now, base) for customer_id in customer_ids]

    return info.context.loader("insight", load)


# Paged per-customer fields. The key is (customer id, the field's arguments); one batch asks
# once per distinct argument set — in an `_entities` call every customer is asked with the
# same arguments, so that is one aggregate per field whatever the number of customers.

type Position = Keyset | None


def _by_arguments[A, V](
    info: Info,
    name: str,
    fetch: Callable[[A, list[str]], Awaitable[dict[str, V]]],
    missing: Callable[[], V],
) -> DataLoader[tuple[str, A], V]:
    async def load(keys: list[tuple[str, A]]) -> list[V]:
        groups: dict[A, list[str]] = {}
        for customer_id, arguments in keys:
            groups.setdefault(arguments, []).append(customer_id)
        found: dict[tuple[str, A], V] = {}
        for arguments, customer_ids in groups.items():
            values = await fetch(arguments, customer_ids)
            found.update(
                {(c, arguments): values[c] if c in values else missing() for c in customer_ids}
            )
        return [found[key] for key in keys]

    return info.context.loader(name, load)


def interaction_pages(info: Info) -> DataLoader[tuple[str, tuple[int, Position]], Page]:
    views = info.context.deps.views

    async def fetch(arguments: tuple[int, Position], customer_ids: list[str]) -> dict[str, Page]:
        first, after = arguments
        return await views.pages(customer_ids, first, after)

    return _by_arguments(info, "interactionPages", fetch, lambda: Page([], False))


def interaction_counts(info: Info) -> DataLoader[tuple[str, None], int]:
    views = info.context.deps.views

    async def fetch(_: None, customer_ids: list[str]) -> dict[str, int]:
        return await views.counts(customer_ids)

    return _by_arguments(info, "interactionCounts", fetch, int)


type TimelineArgs = tuple[int, Position, tuple[TimelineKind, ...]]


def timeline_pages(
    info: Info,
) -> DataLoader[tuple[str, TimelineArgs], tuple[list[TimelineEntry], bool]]:
    repo = info.context.deps.timeline

    async def fetch(
        arguments: TimelineArgs, customer_ids: list[str]
    ) -> dict[str, tuple[list[TimelineEntry], bool]]:
        first, after, kinds = arguments
        return await repo.pages(customer_ids, first, after, kinds)

    return _by_arguments(info, "timelinePages", fetch, lambda: ([], False))


def timeline_counts(info: Info) -> DataLoader[tuple[str, tuple[TimelineKind, ...]], int]:
    repo = info.context.deps.timeline

    async def fetch(kinds: tuple[TimelineKind, ...], customer_ids: list[str]) -> dict[str, int]:
        return await repo.counts(customer_ids, kinds)

    return _by_arguments(info, "timelineCounts", fetch, int)


type TicketArgs = tuple[TicketFilter, int, Position]


def ticket_pages(
    info: Info,
) -> DataLoader[tuple[str, TicketArgs], tuple[list[Ticket], bool]]:
    views = info.context.deps.ticket_views

    async def fetch(
        arguments: TicketArgs, customer_ids: list[str]
    ) -> dict[str, tuple[list[Ticket], bool]]:
        where, first, after = arguments
        return await views.pages(where, customer_ids, first, after)

    return _by_arguments(info, "ticketPages", fetch, lambda: ([], False))


def ticket_counts(info: Info) -> DataLoader[tuple[str, TicketFilter], int]:
    views = info.context.deps.ticket_views

    async def fetch(where: TicketFilter, customer_ids: list[str]) -> dict[str, int]:
        return await views.counts(where, customer_ids)

    return _by_arguments(info, "ticketCounts", fetch, int)


def purchases(info: Info) -> DataLoader[tuple[str, int], list[Purchase]]:
    repo = info.context.deps.purchases

    async def fetch(limit: int, customer_ids: list[str]) -> dict[str, list[Purchase]]:
        return await repo.latest(customer_ids, limit)

    return _by_arguments(info, "purchases", fetch, list)
