"""Purchases: idempotent upsert keyed by (source, external id), e.g. an ERP order."""

from __future__ import annotations

from dataclasses import replace

from crm_interaction.events import purchase_recorded
from crm_interaction.purchases import model
from crm_interaction.purchases.model import Purchase, RecordPurchase
from crm_interaction.purchases.store import PurchaseRepository
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.shared.filing import Filing
from crm_kit.auth import Principal
from crm_kit.uow import Transaction


class PurchaseService:
    def __init__(self, filing: Filing, purchases: PurchaseRepository) -> None:
        self._filing = filing
        self._purchases = purchases

    async def record(self, principal: Principal, command: RecordPurchase) -> tuple[Purchase, bool]:
        """Insert, update when the source's copy changed, or change nothing for a replay.

        Returns the stored purchase and whether anything was written (an event is emitted
        then).
        """
        model.ensure_writer(principal)
        filing = self._filing
        now = to_storage_time(filing.clock())
        draft = model.build(
            replace(command, purchased_at=to_storage_time(command.purchased_at)),
            recorded_by=principal.sub,
            now=now,
            version=1,
        )
        draft = await filing.under_customer(draft)

        async def work(tx: Transaction) -> tuple[Purchase, bool]:
            existing = await self._purchases.get(draft.id, tx.session)
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
            await self._purchases.put(purchase, tx.session)
            await filing.timeline.put(model.timeline_entry(purchase), tx.session)
            tx.emit(
                purchase_recorded.TYPE,
                purchase.customer_id,
                purchase_recorded.payload(purchase, created=existing is None),
            )
            return purchase, True

        return await filing.uow.run(work)
