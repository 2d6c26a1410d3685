"""Use cases: each write runs in one transaction with its outbox events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from crm_customer import domain
from crm_customer.domain import Customer, CustomerChanges, NewCustomer
from crm_customer.events import customer_assigned, customer_created, customer_updated
from crm_customer.repository import CustomerRepository
from crm_kit.auth import Principal, Role
from crm_kit.events import utcnow
from crm_kit.uow import Transaction, UnitOfWork

WRITERS = (Role.ADMIN, Role.MANAGER, Role.SALES)


def new_customer_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class CustomerCommands:
    uow: UnitOfWork
    customers: CustomerRepository

    async def create(
        self, actor: Principal, new: NewCustomer, idempotency_key: str | None = None
    ) -> Customer:
        actor.require_role(*WRITERS)
        guard = f"createCustomer:{actor.sub}:{idempotency_key}" if idempotency_key else None
        if guard and (existing := await self.customers.idempotent_result(guard)):
            return await self.customers.get(existing)
        now = utcnow()
        customer = domain.create(new, id=new_customer_id(), actor=actor.sub, now=now)

        async def work(tx: Transaction) -> Customer:
            if guard:
                await self.customers.claim_idempotency_key(guard, customer.id, now, tx.session)
            await self.customers.add(customer, tx.session)
            tx.emit(
                customer_created.TYPE, customer.id, customer_created.payload(customer, actor.sub)
            )
            if customer.owner_id:
                tx.emit(
                    customer_assigned.TYPE,
                    customer.id,
                    customer_assigned.payload(customer, None, actor.sub),
                )
            return customer

        try:
            return await self.uow.run(work)
        except DuplicateKeyError:
            # A concurrent retry with the same key won the race: return its result.
            if guard and (existing := await self.customers.idempotent_result(guard)):
                return await self.customers.get(existing)
            raise

    async def update(
        self, actor: Principal, id: str, expected_version: int, changes: CustomerChanges
    ) -> Customer:
        actor.require_role(*WRITERS)

        async def work(tx: Transaction) -> Customer:
            current = await self.customers.get(id, tx.session)
            updated, changed = domain.apply_changes(current, changes, actor=actor.sub, now=utcnow())
            if not changed:
                return current
            await self.customers.save(updated, expected_version, tx.session)
            tx.emit(
                customer_updated.TYPE,
                updated.id,
                customer_updated.payload(updated, changed, actor.sub),
            )
            return updated

        return await self.uow.run(work)

    async def assign(
        self,
        actor: Principal,
        id: str,
        owner_id: str,
        team: str | None,
        expected_version: int | None,
    ) -> Customer:
        actor.require_role(Role.ADMIN, Role.MANAGER)

        async def work(tx: Transaction) -> Customer:
            current = await self.customers.get(id, tx.session)
            version = current.version if expected_version is None else expected_version
            if current.owner_id == owner_id.strip() and (team is None or team == current.team):
                return current
            updated = domain.assign(
                current, owner_id=owner_id, team=team, actor=actor.sub, now=utcnow()
            )
            await self.customers.save(updated, version, tx.session)
            tx.emit(
                customer_assigned.TYPE,
                updated.id,
                customer_assigned.payload(updated, current.owner_id, actor.sub),
            )
            return updated

        return await self.uow.run(work)
