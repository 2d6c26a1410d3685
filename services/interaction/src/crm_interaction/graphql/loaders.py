"""Per-request DataLoaders over customers: the fields of many customers in one `_entities`
call cost one query per field, whatever the number of customers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from strawberry.dataloader import DataLoader

from crm_interaction.graphql.context import Info


def per_customer[V](
    info: Info,
    name: str,
    fetch: Callable[[list[str]], Awaitable[dict[str, V]]],
    missing: Callable[[], V],
) -> DataLoader[str, V]:
    """One `fetch` of the batch's customers; `missing()` for a customer it does not name."""

    async def load(customer_ids: list[str]) -> list[V]:
        found = await fetch(customer_ids)
        return [found[c] if c in found else missing() for c in customer_ids]

    return info.context.loader(name, load)


def per_customer_and_arguments[A, V](
    info: Info,
    name: str,
    fetch: Callable[[A, list[str]], Awaitable[dict[str, V]]],
    missing: Callable[[], V],
) -> DataLoader[tuple[str, A], V]:
    """Paged per-customer fields. The key is (customer id, the field's arguments); one batch
    asks once per distinct argument set — in an `_entities` call every customer is asked with
    the same arguments, so that is one aggregate per field whatever the number of customers."""

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
