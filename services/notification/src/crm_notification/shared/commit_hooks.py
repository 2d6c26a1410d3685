"""Run callbacks after the current unit of work commits (and never if it does not).

crm_kit's Transaction has no after-commit hook; this wrapper of a UnitOfWork adds one through a
context variable, so a handler can tell this replica's live subscribers about a notification
only once it is visible. The service declares it in its ServiceSpec (`uow_wrappers`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable

from crm_kit.uow import Transaction, UnitOfWork

_hooks: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "crm_notification_after_commit", default=None
)


class HookedUnitOfWork(UnitOfWork):
    """Wraps another unit of work; the hooks of its committed attempt run after it."""

    def __init__(self, inner: UnitOfWork) -> None:
        super().__init__(inner.client, inner.db, inner.source)
        self.inner = inner

    async def run[T](self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        hooks: list[Callable[[], None]] = []

        async def attempt(tx: Transaction) -> T:
            hooks.clear()  # a retried transaction: only the committed attempt's hooks run
            return await work(tx)

        token = _hooks.set(hooks)
        try:
            result = await self.inner.run(attempt)
        finally:
            _hooks.reset(token)
        for hook in hooks:
            hook()
        return result


def after_commit(callback: Callable[[], None]) -> None:
    """Call `callback` once the enclosing HookedUnitOfWork commits; at once outside one."""
    hooks = _hooks.get()
    if hooks is None:
        callback()
    else:
        hooks.append(callback)
