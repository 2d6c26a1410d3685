"""Editing and deleting interactions: author within 7 days, managers any time; the state
before each change is kept in `interaction_history`."""

from __future__ import annotations

from crm_interaction import domain, timeline
from crm_interaction.domain import Interaction, InteractionChanges
from crm_interaction.services import Deps
from crm_kit.auth import Principal
from crm_kit.errors import Conflict, NotFound
from crm_kit.uow import Transaction

EDITED = "EDITED"
DELETED = "DELETED"


async def _load(
    deps: Deps, interaction_id: str, expected_version: int | None, tx: Transaction
) -> Interaction:
    found = await deps.interactions.get(interaction_id, tx.session)
    if found is None:
        raise NotFound("Interaction", interaction_id)
    if expected_version is not None and expected_version != found.version:
        raise Conflict(
            "The interaction was changed meanwhile",
            conflicting_id=found.id,
            currentVersion=found.version,
        )
    return found


async def edit_interaction(
    deps: Deps,
    principal: Principal,
    interaction_id: str,
    changes: InteractionChanges,
    expected_version: int | None = None,
) -> Interaction:
    now = domain.to_storage_time(deps.clock())

    async def work(tx: Transaction) -> Interaction:
        before = await _load(deps, interaction_id, expected_version, tx)
        domain.ensure_can_change(before, principal, now)
        after = domain.edit(before, changes, now)
        await deps.interactions.record(before, EDITED, principal.sub, now, tx.session)
        await deps.interactions.replace(after, before.version, tx.session)
        await deps.timeline.put(timeline.of_interaction(after), tx.session)
        return after

    return await deps.uow.run(work)


async def delete_interaction(
    deps: Deps, principal: Principal, interaction_id: str, expected_version: int | None = None
) -> str:
    now = domain.to_storage_time(deps.clock())

    async def work(tx: Transaction) -> str:
        before = await _load(deps, interaction_id, expected_version, tx)
        domain.ensure_can_change(before, principal, now)
        await deps.interactions.record(before, DELETED, principal.sub, now, tx.session)
        await deps.interactions.delete(before, tx.session)
        await deps.timeline.remove(
            timeline.entry_id(timeline.TimelineKind.INTERACTION, before.id), tx.session
        )
        return before.id

    return await deps.uow.run(work)
