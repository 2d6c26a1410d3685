"""History use case: bring back the fields of a past version as a new version (nothing of
the history is lost), in one transaction with its match keys and `customer.updated.v1`."""

from __future__ import annotations

from dataclasses import dataclass

from crm_customer.customers import model
from crm_customer.customers.model import Customer
from crm_customer.customers.service import WRITERS
from crm_customer.customers.store import CustomerRepository
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.events import customer_updated
from crm_customer.history.model import VersionAction, record
from crm_customer.history.store import HistoryRepository
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput
from crm_kit.events import utcnow
from crm_kit.uow import Transaction, UnitOfWork


@dataclass(frozen=True, slots=True)
class HistoryService:
    uow: UnitOfWork
    customers: CustomerRepository
    history: HistoryRepository
    duplicates: DuplicateDetector

    async def restore_version(
        self, actor: Principal, id: str, version: int, expected_version: int
    ) -> Customer:
        """Bring back the fields of a past version as a new version (history is never lost)."""
        actor.require_role(*WRITERS)

        async def work(tx: Transaction) -> Customer:
            current = model.ensure_live(await self.customers.get(id, tx.session))
            old = await self.history.state_of_version(id, version, tx.session)
            if old is None:
                raise BadUserInput.single("version", "VERSION_NOT_FOUND", "No such version")
            restored, changed = model.restore_to(current, old, actor=actor.sub, now=utcnow())
            if not changed:
                return current
            doc = await self.customers.save(restored, expected_version, tx.session)
            await self.duplicates.rekey(current, doc, tx.session)
            change = record(current, restored, VersionAction.RESTORED, actor.sub)
            await self.history.add_version(change, doc, tx.session)
            tx.emit(
                customer_updated.TYPE,
                restored.id,
                customer_updated.payload(restored, changed, actor.sub, restored_from=version),
            )
            return restored

        return await self.uow.run(work)
