"""Service layer: use cases orchestrating the domain, the repositories and the unit of work."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from crm_interaction.events import interaction_logged
from crm_interaction.insight_views import InsightViews
from crm_interaction.interactions import details as record_details
from crm_interaction.interactions import model as domain
from crm_interaction.interactions.model import Interaction, LogInteraction
from crm_interaction.repository import CustomerProjection, InteractionRepository
from crm_interaction.scheduler import JobStore
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.stores import PurchaseRepository, TaskRepository, TimelineRepository
from crm_interaction.ticket_store import AgentDirectory, TicketRepository
from crm_interaction.ticket_views import TicketViews
from crm_interaction.tickets.sla import SlaRules
from crm_interaction.views import InteractionViews
from crm_kit.auth import Principal
from crm_kit.errors import Conflict, NotFound
from crm_kit.events import new_id, utcnow
from crm_kit.idempotency import IdempotencyGuards, Key
from crm_kit.mongo import Session
from crm_kit.uow import Transaction, UnitOfWork


@dataclass(frozen=True, slots=True)
class Deps:
    """What resolvers and handlers need; built once by `app.create_app`."""

    uow: UnitOfWork
    customers: CustomerProjection
    interactions: InteractionRepository
    guards: IdempotencyGuards
    views: InteractionViews
    tickets: TicketRepository
    agents: AgentDirectory
    tasks: TaskRepository
    purchases: PurchaseRepository
    timeline: TimelineRepository
    jobs: JobStore
    sla: SlaRules
    ticket_views: TicketViews
    insight: InsightViews
    clock: Callable[[], datetime] = utcnow
    # The projection lags customer creation by milliseconds: wait this long before NOT_FOUND.
    customer_wait_seconds: float = 2.0


def guard_id(operation: str, caller: str, key: str) -> str:
    digest = hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()
    return f"{operation}:{digest}"


def fingerprint(command: LogInteraction) -> str:
    """What makes two requests with one idempotency key "the same request"."""
    parts = [
        command.customer_id.strip(),
        str(command.channel),
        str(command.direction),
        (command.subject or "").strip(),
        command.content,
        str(command.duration_seconds),
        to_storage_time(command.occurred_at).isoformat() if command.occurred_at else "",
        repr(record_details.to_doc(record_details.normalized(command.details))),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def wait_for_customer(deps: Deps, customer_id: str) -> str:
    """The id new items of this customer are filed under: the survivor of a merge, or
    NOT_FOUND for an erased customer or one the projection has not seen (after a short wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deps.customer_wait_seconds
    delay = 0.05
    seen: set[str] = set()
    while True:
        view = await deps.customers.get(customer_id)
        if view is not None and view.lifecycle == "MERGED" and view.merged_into:
            if view.merged_into in seen:  # pragma: no cover - a merge cycle is a broken feed
                raise NotFound("Customer", customer_id)
            seen.add(customer_id)
            customer_id = view.merged_into
            continue
        if view is not None:
            if view.lifecycle == "ERASED":
                raise NotFound("Customer", customer_id)
            return customer_id
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise NotFound("Customer", customer_id)
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.4)


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


async def log_interaction(deps: Deps, principal: Principal, command: LogInteraction) -> Interaction:
    domain.ensure_can_log(principal)
    now = deps.clock()
    interaction = domain.new_interaction(command, id=new_id(), logged_by=principal.sub, now=now)
    key = (
        Key(
            guard_id("logInteraction", principal.sub, command.idempotency_key),
            fingerprint(command),
        )
        if command.idempotency_key
        else None
    )

    async def write() -> Interaction:
        customer_id = await wait_for_customer(deps, interaction.customer_id)
        filed = replace(interaction, customer_id=customer_id)

        async def work(tx: Transaction) -> Interaction:
            await deps.guards.claim(key, filed.id, filed.created_at, tx.session)
            await deps.interactions.add(filed, tx.session)
            await deps.timeline.put(domain.timeline_entry(filed), tx.session)
            tx.emit(interaction_logged.TYPE, filed.customer_id, interaction_logged.payload(filed))
            return filed

        return await deps.uow.run(work)

    return await deps.guards.once(key, "interaction", deps.interactions.get, write)
