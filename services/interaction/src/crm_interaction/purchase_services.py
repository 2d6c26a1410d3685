"""Purchases: idempotent upsert keyed by (source, external id), e.g. an ERP order."""

from __future__ import annotations

from dataclasses import replace

from crm_interaction.events import purchase_recorded
from crm_interaction.purchases import model as rules
from crm_interaction.purchases.model import Purchase, RecordPurchase
from crm_interaction.services import Deps, wait_for_customer
from crm_interaction.shared.clock import to_storage_time
from crm_kit.auth import Principal
from crm_kit.uow import Transaction


async def record_purchase(
    deps: Deps, principal: Principal, command: RecordPurchase
) -> tuple[Purchase, bool]:
    """Insert, update when the source's copy changed, or change nothing for a replay.

    Returns the stored purchase and whether anything was written (an event is emitted then).
    """
    rules.ensure_writer(principal)
    now = to_storage_time(deps.clock())
    draft = rules.build(
        replace(command, purchased_at=to_storage_time(command.purchased_at)),
        recorded_by=principal.sub,
        now=now,
        version=1,
    )
    customer_id = await wait_for_customer(deps, draft.customer_id)
    draft = replace(draft, customer_id=customer_id)

    async def work(tx: Transaction) -> tuple[Purchase, bool]:
        existing = await deps.purchases.get(draft.id, tx.session)
        if existing is not None and existing.same_content(draft):
            return existing, False
        purchase = draft
        if existing is not None:
            purchase = replace(
                draft,
                recorded_by=existing.recorded_by,
                recorded_at=existing.recorded_at,
                version=existing.version + 1,
            )
        await deps.purchases.put(purchase, tx.session)
        await deps.timeline.put(rules.timeline_entry(purchase), tx.session)
        tx.emit(
            purchase_recorded.TYPE,
            purchase.customer_id,
            purchase_recorded.payload(purchase, created=existing is None),
        )
        return purchase, True

    return await deps.uow.run(work)
