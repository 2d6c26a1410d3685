"""The list arguments of this service's lists, as the read side uses them: a time range of a
filter as hashable MongoDB bounds (`Bounds`), and a list's order (`KeysetOrder`) with its
keyset cursors.

An order sorts by one stored key, then by `_id`, both ascending or both descending, so that an
index on (key, `_id`) — prefixed by the fields a list always matches by equality — serves a
page without sorting in memory; a page ends at the (key, id) of its last item and the next page
starts strictly after it. The key is a time, or a rank (`ranked`: an integer). A value the
order computes (a null time counted as the latest, `LATEST`; the rank of a priority) is stored
with the item by its store, never computed by the query. A cursor names its order
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

LATEST = datetime(9999, 12, 31, tzinfo=UTC)  # what a missing time is stored as, to sort last

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
    ranked: bool = False  # the key is an integer rank, not a time

    @classmethod
    def of(
        cls, items: str, field: StrEnum, direction: OrderDirection, stored: str, **kind: Any
    ) -> KeysetOrder:
        """The order of a list of `items` (`TICKET`) by `orderBy: {field, direction}` over the
        `stored` field; its cursors are refused by another order and by lists of other items."""
        descending = direction is OrderDirection.DESC
        return cls(f"{items}_{field}_{direction.value}", stored, descending, **kind)

    def sort(self) -> dict[str, int]:
        sign = -1 if self.descending else 1
        return {self.field: sign, "_id": sign}

    def after(self, position: Position | None) -> Document | None:
        """The items strictly after `position` in this order (None: from the start)."""
        if position is None:
            return None
        past = "$lt" if self.descending else "$gt"
        return {
            "$or": [
                {self.field: {past: position.value}},
                {self.field: position.value, "_id": {past: position.id}},
            ]
        }

    def stages(self, match: Mapping[str, Any], after: Position | None) -> list[Document]:
        """The aggregate stages before `$sort`: one `$match` of `match` and `after`."""
        return [{"$match": both(match, self.after(after))}]

    def cursor(self, doc: Document) -> str:
        """The cursor of a listed document."""
        value, id = doc[self.field], str(doc["_id"])
        if self.ranked:
            return encode_position([int(value), id], self.name)
        return encode_cursor(Keyset(value, id), self.name)

    def position(self, cursor: str | None) -> Position | None:
        """Where `cursor` (an `after`) ends; BAD_USER_INPUT (`after` INVALID_CURSOR) for a
        cursor of another order or list."""
        if not cursor:
            return None
        if self.ranked:
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
    """`first` documents matching `match` after `after`, and whether more follow: one find."""
    query = both(match, order.after(after))
    docs = await collection.find(query).sort(order.sort()).limit(first + 1).to_list()
    return docs[:first], len(docs) > first
