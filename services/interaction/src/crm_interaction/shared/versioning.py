"""Optimistic concurrency: a change reads its item inside its own transaction and, when the
caller names the version it saw, refuses to change any other version."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from crm_kit.errors import Conflict, NotFound
from crm_kit.mongo import Session


class Versioned(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def version(self) -> int: ...


async def load_for_change[T: Versioned](
    get: Callable[[str, Session], Awaitable[T | None]],
    what: str,
    item_id: str,
    *,
    expected_version: int | None,
    session: Session,
    conflict: str,
) -> T:
    """The item to change, read in the change's transaction: NOT_FOUND if it is gone,
    CONFLICT (`conflict`, with its current version) if it is not the version the caller had."""
    found = await get(item_id, session)
    if found is None:
        raise NotFound(what, item_id)
    if expected_version is not None and expected_version != found.version:
        raise Conflict(conflict, conflicting_id=found.id, currentVersion=found.version)
    return found
