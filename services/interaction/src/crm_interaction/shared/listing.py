"""The list arguments of this service's lists, as the read side uses them: a time range of a
filter as hashable MongoDB bounds (`Bounds`), and a list's order (`KeysetOrder`) with its
keyset cursors.

An order sorts by one key, then by `_id`, both ascending or both descending; a page ends at the
(key, id) of its last item and the next page starts strictly after it. The key is a stored
time, a time that may be null (`missing_last`: null counts as later than every time, so it
sorts last ascending and first descending), or a string ranked by its place in `ranks` (the
last two are computed by the database with `$addFields`). A cursor names its order
(`crm_kit.paging`), so a cursor made under one order is BAD_USER_INPUT (`after`
INVALID_CURSOR) under another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import strawberry
from pymongo.asynchronous.collection import AsyncCollection

from crm_interaction.shared.clock import to_storage_time
from crm_kit.listing import DateTimeRangeInput, OrderDirection, range_condition
from crm_kit.mongo import Document
from crm_kit.paging import Keyset, decode_cursor, decode_position, encode_cursor, encode_position

type Bounds = tuple[tuple[str, datetime], ...]
"""A range's MongoDB condition (`$gte` / `$lt` and their times), hashable; () bounds nothing."""

SORT_KEY = "_sortKey"  # the field `$addFields` computes a computed key into
LATEST = datetime(9999, 12, 31, tzinfo=UTC)  # what a missing time sorts as

OrderedAfter = Annotated[
    str | None,
    strawberry.argument(
        description="The `endCursor` of the previous page, made under the same `orderBy`; omit "
        "it for the first page. A cursor of another order or of a list of other items, or a "
        "string that is not a cursor, is BAD_USER_INPUT (`after` INVALID_CURSOR): start again "
        "from the first page when the order changes."
    ),
]
"""The `after` argument of a list that takes `orderBy`, described."""


def bounds(value: DateTimeRangeInput | None, field: str) -> Bounds:
    """The range checked (a reversed one is BAD_USER_INPUT naming `<field>.to`) as bounds on
    stored times (UTC, milliseconds)."""
    condition = range_condition(value, field, encode=to_storage_time)
    return tuple(condition.items()) if condition else ()


def both(first: Mapping[str, Any], second: Mapping[str, Any] | None) -> Document:
    """`first` AND `second` (either may be empty)."""
    if not second:
        return dict(first)
    return {"$and": [dict(first), dict(second)]} if first else dict(second)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ends: its last item's sort key value and id."""

    value: datetime | int
    id: str


@dataclass(frozen=True, slots=True)
class KeysetOrder:
    """One order of a list (see the module's docstring); hashable, so a DataLoader key."""

    name: str  # what its cursors are bound to
    field: str  # the stored field sorted by
    descending: bool = False
    missing_last: bool = False
    ranks: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, items: str, field: StrEnum, direction: OrderDirection, stored: str, **kind: Any
    ) -> KeysetOrder:
        """The order of a list of `items` (`TICKET`) by `orderBy: {field, direction}` over the
        `stored` field; its cursors are refused by another order and by lists of other items."""
        descending = direction is OrderDirection.DESC
        return cls(f"{items}_{field}_{direction.value}", stored, descending, **kind)

    def computed(self) -> Document | None:
        """The key as an aggregation expression, when it is not the stored field itself."""
        if self.ranks:
            return {"$indexOfArray": [list(self.ranks), f"${self.field}"]}
        if self.missing_last:
            return {"$ifNull": [f"${self.field}", LATEST]}
        return None

    @property
    def key(self) -> str:
        return self.field if self.computed() is None else SORT_KEY

    def sort(self) -> dict[str, int]:
        sign = -1 if self.descending else 1
        return {self.key: sign, "_id": sign}

    def after(self, position: Position | None) -> Document | None:
        """The items strictly after `position` in this order (None: from the start)."""
        if position is None:
            return None
        past = "$lt" if self.descending else "$gt"
        return {
            "$or": [
                {self.key: {past: position.value}},
                {self.key: position.value, "_id": {past: position.id}},
            ]
        }

    def stages(self, match: Mapping[str, Any], after: Position | None) -> list[Document]:
        """The aggregate stages before `$sort`: `match`, the computed key, `after`."""
        computed = self.computed()
        if computed is None:
            return [{"$match": both(match, self.after(after))}]
        stages: list[Document] = [{"$match": dict(match)}, {"$addFields": {SORT_KEY: computed}}]
        position = self.after(after)
        return [*stages, {"$match": position}] if position else stages

    def cursor(self, doc: Document) -> str:
        """The cursor of a listed document (its key was computed when the order computes it)."""
        value, id = doc[self.key], str(doc["_id"])
        if self.ranks:
            return encode_position([int(value), id], self.name)
        return encode_cursor(Keyset(value, id), self.name)

    def position(self, cursor: str | None) -> Position | None:
        """Where `cursor` (an `after`) ends; BAD_USER_INPUT (`after` INVALID_CURSOR) for a
        cursor of another order or list."""
        if not cursor:
            return None
        if self.ranks:
            rank, id = decode_position(cursor, (int, str), self.name)
            return Position(int(rank), str(id))
        keyset = decode_cursor(cursor, order=self.name)
        return Position(keyset.at, keyset.id)


@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a list: its items and their cursors, in order, and whether more follow."""

    items: list[T]
    cursors: list[str]
    has_next: bool


def empty_page[T]() -> Page[T]:
    return Page([], [], False)


def page_of[T](
    docs: Sequence[Document], more: bool, order: KeysetOrder, read: Callable[[Document], T]
) -> Page[T]:
    return Page([read(d) for d in docs], [order.cursor(d) for d in docs], more)


async def find_page(
    collection: AsyncCollection[Document],
    match: Mapping[str, Any],
    order: KeysetOrder,
    first: int,
    after: Position | None,
) -> tuple[list[Document], bool]:
    """`first` documents matching `match` after `after`, and whether more follow: one find
    for a stored key, one aggregate for a computed one."""
    if order.computed() is None:
        query = both(match, order.after(after))
        docs = await collection.find(query).sort(order.sort()).limit(first + 1).to_list()
    else:
        stages = [*order.stages(match, after), {"$sort": order.sort()}, {"$limit": first + 1}]
        docs = await (await collection.aggregate(stages)).to_list()
    return docs[:first], len(docs) > first
