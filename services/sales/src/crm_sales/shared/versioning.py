"""Optimistic concurrency: a change reads its record inside its own transaction and, when the
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
) -> T:
    """The record to change, read in the change's transaction: NOT_FOUND if it is gone,
    CONFLICT (with its current version) if it is not the version the caller had."""
    found = await get(item_id, session)
    if found is None:
        raise NotFound(what, item_id)
    if expected_version is not None and expected_version != found.version:
        raise Conflict(
            f"{what} {item_id} was changed by someone else (version {found.version}, you had "
            f"{expected_version})",
            conflicting_id=found.id,
            currentVersion=found.version,
        )
    return found
