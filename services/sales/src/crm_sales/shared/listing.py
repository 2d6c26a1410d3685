"""The orders of this service's lists and their keyset cursors.

An order sorts by one stored key, then by `_id`, both ascending or both descending; a page ends
at the (key, id) of its last item and the next page starts strictly after it. The key is a
stored time, text or integer: a value a record may lack is stored as a sentinel that sorts where
the order's description says (see the stores), so every order is served by an index without a
computed key. A cursor names its order (`crm_kit.paging`), so a cursor made under one order is
BAD_USER_INPUT (`after` INVALID_CURSOR) under another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from pymongo.asynchronous.collection import AsyncCollection

from crm_kit.mongo import Document
from crm_kit.paging import Keyset, decode_cursor, decode_position, encode_cursor, encode_position

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


class KeyKind(Enum):
    TIME = "TIME"
    TEXT = "TEXT"
    NUMBER = "NUMBER"


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ends: its last item's sort key value and id."""

    value: datetime | str | int
    id: str


@dataclass(frozen=True, slots=True)
class KeysetOrder:
    """One order of a list; hashable, so part of a DataLoader key."""

    name: str  # what its cursors are bound to
    field: str  # the stored field sorted by
    kind: KeyKind
    descending: bool = False

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

    def cursor(self, doc: Document) -> str:
        value, id = doc[self.field], str(doc["_id"])
        if self.kind is KeyKind.TIME:
            return encode_cursor(Keyset(value, id), self.name)
        return encode_position([value, id], self.name)

    def position(self, cursor: str | None) -> Position | None:
        """Where `cursor` (an `after`) ends; BAD_USER_INPUT (`after` INVALID_CURSOR) for a
        cursor of another order or list."""
        if not cursor:
            return None
        if self.kind is KeyKind.TIME:
            keyset = decode_cursor(cursor, order=self.name)
            return Position(keyset.at, keyset.id)
        kind = str if self.kind is KeyKind.TEXT else int
        value, id = decode_position(cursor, (kind, str), self.name)
        return Position(value, str(id))


def both(first: Mapping[str, Any], second: Mapping[str, Any] | None) -> Document:
    """`first` AND `second` (either may be empty)."""
    if not second:
        return dict(first)
    return {"$and": [dict(first), dict(second)]} if first else dict(second)


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
    """`first` documents matching `match` after `after`, and whether more follow (one find)."""
    if first <= 0:
        return [], False
    query = both(match, order.after(after))
    docs = await collection.find(query).sort(order.sort()).limit(first + 1).to_list()
    return docs[:first], len(docs) > first
