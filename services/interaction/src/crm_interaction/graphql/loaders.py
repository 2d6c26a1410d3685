"""Per-request DataLoaders: many entity fields in one `_entities` call → one query."""

from __future__ import annotations

from datetime import datetime

from strawberry.dataloader import DataLoader

from crm_interaction.graphql.context import Info


def last_interaction_at(info: Info) -> DataLoader[str, datetime | None]:
    views = info.context.deps.views

    async def load(customer_ids: list[str]) -> list[datetime | None]:
        latest = await views.last_occurred_at(customer_ids)
        return [latest.get(customer_id) for customer_id in customer_ids]

    return info.context.loader("lastInteractionAt", load)
