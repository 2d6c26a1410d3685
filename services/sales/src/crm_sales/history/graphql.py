"""The DataLoaders of opportunity history: in a list of opportunities, every card's stage and
field changes, their counts and their time in stages come from one query each (the types that
show them are `opportunities.parts`)."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from crm_sales.graphql import loaders
from crm_sales.graphql.context import Info
from crm_sales.history.model import FieldChange, StageChange
from crm_sales.shared.listing import Page, Position, empty_page

type PageArgs = tuple[int, Position | None]


def stage_pages(info: Info) -> DataLoader[tuple[str, PageArgs], Page[StageChange]]:
    queries = info.context.deps.history

    async def fetch(arguments: PageArgs, ids: list[str]) -> dict[str, Page[StageChange]]:
        return await queries.stage_pages(ids, *arguments)

    return loaders.per_key_and_arguments(info, "sales.stagePages", fetch, empty_page)


def stage_counts(info: Info) -> DataLoader[str, int]:
    queries = info.context.deps.history

    async def load(ids: list[str]) -> list[int]:
        found = await queries.stage_counts(ids)
        return [found.get(i, 0) for i in ids]

    return info.context.loader("sales.stageCounts", load)


def field_pages(info: Info) -> DataLoader[tuple[str, PageArgs], Page[FieldChange]]:
    queries = info.context.deps.history

    async def fetch(arguments: PageArgs, ids: list[str]) -> dict[str, Page[FieldChange]]:
        return await queries.field_pages(ids, *arguments)

    return loaders.per_key_and_arguments(info, "sales.fieldPages", fetch, empty_page)


def field_counts(info: Info) -> DataLoader[str, int]:
    queries = info.context.deps.history

    async def load(ids: list[str]) -> list[int]:
        found = await queries.field_counts(ids)
        return [found.get(i, 0) for i in ids]

    return info.context.loader("sales.fieldCounts", load)


def stage_changes(info: Info) -> DataLoader[str, list[StageChange]]:
    queries = info.context.deps.history

    async def load(ids: list[str]) -> list[list[StageChange]]:
        found = await queries.stage_changes(ids)
        return [found.get(i, []) for i in ids]

    return info.context.loader("sales.stageChanges", load)
