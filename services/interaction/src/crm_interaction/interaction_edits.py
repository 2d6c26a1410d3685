"""Editing and deleting interactions: author within 7 days, managers any time; the state
before each change is kept in `interaction_history`."""

from __future__ import annotations

from crm_interaction.interactions import model as domain
from crm_interaction.interactions.model import Interaction, InteractionChanges
from crm_interaction.services import Deps, load_for_change
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.timeline import model as timeline
from crm_kit.auth import Principal
from crm_kit.uow import Transaction

EDITED = "EDITED"
DELETED = "DELETED"


async def _load(
    deps: Deps, interaction_id: str, expected_version: int | None, tx: Transaction
) -> Interaction:
    return await load_for_change(
        deps.interactions.get,
        "Interaction",
        interaction_id,
        expected_version=expected_version,
        session=tx.session,
        conflict="The interaction was changed meanwhile",
    )


async def edit_interaction(
    deps: Deps,
    principal: Principal,
    interaction_id: str,
    changes: InteractionChanges,
    expected_version: int | None = None,
) -> Interaction:
    now = to_storage_time(deps.clock())

    async def work(tx: Transaction) -> Interaction:
        before = await _load(deps, interaction_id, expected_version, tx)
        domain.ensure_can_change(before, principal, now)
        after = domain.edit(before, changes, now)
        await deps.interactions.record(before, EDITED, principal.sub, now, tx.session)
        await deps.interactions.replace(after, before.version, tx.session)
        await deps.timeline.put(domain.timeline_entry(after), tx.session)
        return after

    return await deps.uow.run(work)


async def delete_interaction(
    deps: Deps, principal: Principal, interaction_id: str, expected_version: int | None = None
) -> str:
    now = to_storage_time(deps.clock())

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
