"""Per-request DataLoaders: the pipelines, pipeline versions, exchange rates and close reasons
that many records of one response share are read once per request, and per-key lists of an
`_entities` call once per batch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from strawberry.dataloader import DataLoader

from crm_sales.graphql.context import Info
from crm_sales.money.model import RateTable
from crm_sales.pipelines.model import Pipeline
from crm_sales.reasons.model import CloseReasonList


def pipelines(info: Info) -> DataLoader[str, Pipeline | None]:
    queries = info.context.deps.pipeline_queries

    async def load(ids: list[str]) -> list[Pipeline | None]:
        found = await queries.get_many(ids)
        return [found.get(i) for i in ids]

    return info.context.loader("sales.pipelines", load)


async def pipelines_by_id(info: Info, pipeline_ids: list[str]) -> dict[str, Pipeline]:
    """The current pipelines of these ids through the request's loader, which every reader
    of a request goes through: one 360 view reads its pipelines once, whichever fields ask."""
    found = await pipelines(info).load_many(pipeline_ids)
    return {p.id: p for p in found if p is not None}


def pipeline_versions(info: Info) -> DataLoader[tuple[str, int], Pipeline | None]:
    queries = info.context.deps.pipeline_queries

    async def load(keys: list[tuple[str, int]]) -> list[Pipeline | None]:
        found = await queries.versions(keys)
        return [found.get(k) for k in keys]

    return info.context.loader("sales.pipelineVersions", load)


async def pipeline_of(info: Info, pipeline_id: str, version: int, stage_id: str) -> Pipeline | None:
    """The pipeline as it is now, or the version a record was written under when the current
    one no longer has its stage (a stage removed since: a closed deal stays in it)."""
    current = await pipelines(info).load(pipeline_id)
    if current is not None and current.find(stage_id) is not None:
        return current
    return await pipeline_versions(info).load((pipeline_id, version)) or current


def _once[V](info: Info, name: str, fetch: Callable[[], Awaitable[V]]) -> DataLoader[str, V]:
    async def load(keys: list[str]) -> list[V]:
        value = await fetch()
        return [value for _ in keys]

    return info.context.loader(name, load)


async def rate_table(info: Info) -> RateTable:
    """Every exchange rate of the base currency, read once per request."""
    queries = info.context.deps.rate_queries
    return await _once(info, "sales.rates", queries.table).load("")


async def close_reasons(info: Info) -> CloseReasonList:
    queries = info.context.deps.reason_queries
    return await _once(info, "sales.reasons", queries.current).load("")


def per_key_and_arguments[A, V](
    info: Info,
    name: str,
    fetch: Callable[[A, list[str]], Awaitable[dict[str, V]]],
    missing: Callable[[], V],
) -> DataLoader[tuple[str, A], V]:
    """Per-key fields of an `_entities` call (a customer's opportunities, a member's). The key
    is (id, the field's arguments); a batch asks once per distinct argument set, and in one
    `_entities` call every entity is asked with the same arguments: one query per field."""

    async def load(keys: list[tuple[str, A]]) -> list[V]:
        groups: dict[A, list[str]] = {}
        for key, arguments in keys:
            groups.setdefault(arguments, []).append(key)
        found: dict[tuple[str, A], V] = {}
        for arguments, ids in groups.items():
            values = await fetch(arguments, ids)
            found.update({(i, arguments): values[i] if i in values else missing() for i in ids})
        return [found[key] for key in keys]

    return info.context.loader(name, load)
