"""Per-request DataLoaders: many entity fields in one `_entities` call → one query."""

from __future__ import annotations

from datetime import datetime

from strawberry.dataloader import DataLoader

from crm_interaction.graphql.context import Info
from crm_interaction.insight import Insight, compute
from crm_interaction.tasks import Task
from crm_interaction.tickets import Ticket


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
        facts = await deps.insight.facts(customer_ids, now)
        return [compute(facts[customer_id], now) for customer_id in customer_ids]

    return info.context.loader("insight", load)
