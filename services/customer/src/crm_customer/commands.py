"""Use cases: each write runs in one transaction with its version record and outbox events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_customer.assigner import Assigner
from crm_customer.catalog.field_values import apply_values
from crm_customer.catalog.model import FieldDefinition
from crm_customer.catalog_store import CustomerLookups, CustomFieldStore
from crm_customer.customers import model as domain
from crm_customer.customers.model import Customer, CustomerChanges, NewCustomer
from crm_customer.duplicates.model import Match, match_keys, near_candidates, rank, similar
from crm_customer.events import (
    customer_archived,
    customer_assigned,
    customer_created,
    customer_erased,
    customer_updated,
)
from crm_customer.history import model as history
from crm_customer.history.model import VersionAction
from crm_customer.repository import CustomerRepository
from crm_customer.staff_repository import StaffDirectory
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Conflict, FieldError
from crm_kit.events import utcnow
from crm_kit.idempotency import key_for
from crm_kit.mongo import Document, Session
from crm_kit.uow import Transaction, UnitOfWork

WRITERS = (Role.ADMIN, Role.MANAGER, Role.SALES)


def new_customer_id() -> str:
    return uuid.uuid4().hex


def refuse_exact_duplicates(matches: list[Match], force: bool) -> None:
    exact = [m for m in matches if m.exact]
    if exact and not force:
        top = exact[0]
        raise Conflict(
            f"Customer {top.customer_id} already has this {top.rule.lower()}",
            conflicting_id=top.customer_id,
            rule=str(top.rule),
            score=top.score,
            duplicates=[
                {"id": m.customer_id, "rule": str(m.rule), "score": m.score} for m in matches
            ],
        )


def validated(
    new: NewCustomer,
    definitions: Mapping[str, FieldDefinition],
    *,
    actor: str,
    now: datetime,
) -> Customer:
    """A new customer (with a fresh id) from validated input: BAD_USER_INPUT naming every
    bad field, custom fields included."""
    errors: list[FieldError] = []
    try:
        values = apply_values(definitions, new.custom_fields)
    except BadUserInput as exc:
        values, errors = {}, list(exc.field_errors)
    try:
        customer = domain.create(
            replace(new, custom_fields=values), id=new_customer_id(), actor=actor, now=now
        )
    except BadUserInput as exc:
        raise BadUserInput([*exc.field_errors, *errors]) from exc
    if errors:
        raise BadUserInput(errors)
    return customer


@dataclass(frozen=True, slots=True)
class CustomerCommands:
    uow: UnitOfWork
    customers: CustomerRepository
    staff: StaffDirectory | None = None
    definitions: CustomFieldStore | None = None  # custom fields (none allowed without)
    assigner: Assigner | None = None  # owner by rule when a create names none
    lookups: CustomerLookups | None = None  # names for the fuzzy (similar name) rule

    async def _matches(
        self, id: str, name: str, holders: dict[str, list[str]], session: Session | None
    ) -> list[Match]:
        """Exact and same-name matches from the key holders, then similar names among the
        customers sharing a fuzzy block key; best first."""
        matches = rank(id, holders)
        if self.lookups is not None:
            seen = {m.customer_id for m in matches}
            names = await self.lookups.names_of(near_candidates(id, holders, seen), session)
            matches += similar(id, name, names, seen)
        return sorted(matches, key=lambda m: (-m.score, m.customer_id))

    async def find_duplicates(self, customer: Customer) -> list[Match]:
        keys = match_keys(self.customers.document(customer))
        return await self._matches(
            customer.id, customer.name, await self.customers.key_holders(keys), None
        )

    async def field_definitions(self) -> dict[str, FieldDefinition]:
        return {} if self.definitions is None else await self.definitions.all()

    async def _rekey(self, before: Customer, doc: Document, tx: Transaction) -> None:
        """Move the customer's match keys; new collisions become pairs to review."""
        old, new = match_keys(self.customers.document(before)), match_keys(doc)
        await self.customers.register_keys(before.id, old, new, tx.session)
        renamed = before.name != doc["name"] or before.region != doc.get("region")
        looked_up = (new - old) | ({k for k in new if k.startswith("near:")} if renamed else set())
        if looked_up:
            holders = await self.customers.key_holders(looked_up, tx.session)
            matches = await self._matches(before.id, doc["name"], holders, tx.session)
            if matches:
                await self.customers.record_pairs(
                    before.id,
                    [(m.customer_id, str(m.rule), m.score) for m in matches],
                    utcnow(),
                    tx.session,
                )

    async def create(
        self,
        actor: Principal,
        new: NewCustomer,
        idempotency_key: str | None = None,
        force: bool = False,
    ) -> Customer:
        actor.require_role(*WRITERS)
        key = key_for("createCustomer", actor, idempotency_key or None)
        if existing := await self.customers.guards.first_result_id(key, "Customer"):
            return await self.customers.get(existing)
        now = utcnow()
        customer = validated(new, await self.field_definitions(), actor=actor.sub, now=now)
        if customer.owner_id is None and self.assigner is not None:
            # By the ADMIN rules; after validation, so a refused create takes no turn.
            chosen = await self.assigner.choose(
                customer.region,
                customer.addresses[0].city if customer.addresses else None,
                customer.industry,
            )
            if chosen is not None:
                customer = replace(customer, owner_id=chosen.owner_id, team=chosen.team)
        doc = self.customers.document(customer)
        doc_keys = match_keys(doc)

        async def work(tx: Transaction) -> Customer:
            # Checked inside the transaction: a concurrent create of the same keys conflicts.
            registry = await self.customers.key_documents(doc_keys, tx.session)
            holders = {k: ids for k, ids in registry.items() if ids}
            matches = await self._matches(customer.id, customer.name, holders, tx.session)
            refuse_exact_duplicates(matches, force)
            await self.customers.guards.claim(key, customer.id, now, tx.session)
            await self.customers.add_documents([doc], tx.session)
            await self.customers.register_keys(
                customer.id, set(), doc_keys, tx.session, registered=registry
            )
            version = history.record(None, customer, VersionAction.CREATED, actor.sub)
            await self.customers.add_version(version, doc, tx.session)
            if matches:
                await self.customers.record_pairs(
                    customer.id,
                    [(m.customer_id, str(m.rule), m.score) for m in matches],
                    now,
                    tx.session,
                )
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
        except DuplicateKeyError as exc:
            # A concurrent retry with the same key won the race: return its result.
            if existing := await self.customers.guards.first_result_id(key, "Customer"):
                return await self.customers.get(existing)
            # Or a concurrent create registered the same phone/email/ID first.
            raise Conflict(
                "A customer with the same identifying data was just created; retry to see it",
                conflicting_id="",
            ) from exc

    async def update(
        self, actor: Principal, id: str, expected_version: int, changes: CustomerChanges
    ) -> Customer:
        actor.require_role(*WRITERS)
        # Read once, outside the transaction (as create does): not again on every retry.
        definitions = await self.field_definitions() if changes.custom_fields is not None else {}

        async def work(tx: Transaction) -> Customer:
            current = domain.ensure_live(await self.customers.get(id, tx.session))
            edits = changes
            if changes.custom_fields is not None:  # a patch: named keys change, others stay
                values = apply_values(definitions, changes.custom_fields, current.custom_fields)
                edits = replace(changes, custom_fields=values)
            updated, changed = domain.apply_changes(current, edits, actor=actor.sub, now=utcnow())
            if not changed:
                return current
            doc = await self.customers.save(updated, expected_version, tx.session)
            await self._rekey(current, doc, tx)
            version = history.record(current, updated, VersionAction.UPDATED, actor.sub)
            await self.customers.add_version(version, doc, tx.session)
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
        if self.staff is not None:
            member = await self.staff.find(owner_id.strip())
            if member is not None and not member.active:
                raise BadUserInput.single("ownerId", "INACTIVE_STAFF", "This staff is inactive")

        async def work(tx: Transaction) -> Customer:
            current = domain.ensure_live(await self.customers.get(id, tx.session))
            version = current.version if expected_version is None else expected_version
            if current.owner_id == owner_id.strip() and (team is None or team == current.team):
                return current
            updated = domain.assign(
                current, owner_id=owner_id, team=team, actor=actor.sub, now=utcnow()
            )
            doc = await self.customers.save(updated, version, tx.session)
            record = history.record(current, updated, VersionAction.ASSIGNED, actor.sub)
            await self.customers.add_version(record, doc, tx.session)
            tx.emit(
                customer_assigned.TYPE,
                updated.id,
                customer_assigned.payload(updated, current.owner_id, actor.sub),
            )
            return updated

        return await self.uow.run(work)

    async def set_archived(
        self, actor: Principal, id: str, archived: bool, expected_version: int | None
    ) -> Customer:
        actor.require_role(Role.ADMIN, Role.MANAGER)

        async def work(tx: Transaction) -> Customer:
            current = domain.ensure_live(await self.customers.get(id, tx.session))
            if current.archived == archived:
                return current
            version = current.version if expected_version is None else expected_version
            updated = domain.set_archived(current, archived, actor=actor.sub, now=utcnow())
            doc = await self.customers.save(updated, version, tx.session)
            action = VersionAction.ARCHIVED if archived else VersionAction.UNARCHIVED
            record = history.record(current, updated, action, actor.sub)
            await self.customers.add_version(record, doc, tx.session)
            if archived:
                tx.emit(
                    customer_archived.TYPE,
                    updated.id,
                    customer_archived.payload(updated, actor.sub),
                )
            else:  # brought back: an update of `archived` (the snapshot says archived: false)
                tx.emit(
                    customer_updated.TYPE,
                    updated.id,
                    customer_updated.payload(updated, ["archived"], actor.sub),
                )
            return updated

        return await self.uow.run(work)

    async def restore_version(
        self, actor: Principal, id: str, version: int, expected_version: int
    ) -> Customer:
        """Bring back the fields of a past version as a new version (history is never lost)."""
        actor.require_role(*WRITERS)

        async def work(tx: Transaction) -> Customer:
            current = domain.ensure_live(await self.customers.get(id, tx.session))
            old = await self.customers.state_of_version(id, version, tx.session)
            if old is None:
                raise BadUserInput.single("version", "VERSION_NOT_FOUND", "No such version")
            restored, changed = domain.restore_to(current, old, actor=actor.sub, now=utcnow())
            if not changed:
                return current
            doc = await self.customers.save(restored, expected_version, tx.session)
            await self._rekey(current, doc, tx)
            record = history.record(current, restored, VersionAction.RESTORED, actor.sub)
            await self.customers.add_version(record, doc, tx.session)
            tx.emit(
                customer_updated.TYPE,
                restored.id,
                customer_updated.payload(restored, changed, actor.sub, restored_from=version),
            )
            return restored

        return await self.uow.run(work)

    async def erase(self, actor: Principal, id: str, reason: str) -> Customer:
        """Right to erasure: personal data, its history values and match keys are removed;
        an archived tombstone keeps the id. Emits customer.erased.v1."""
        actor.require_role(Role.ADMIN)
        if not reason.strip():
            raise BadUserInput.single("reason", "REQUIRED", "A reason is required")

        async def work(tx: Transaction) -> Customer:
            current = domain.ensure_live(await self.customers.get(id, tx.session))
            if current.erased:
                return current
            now = utcnow()
            erased = domain.erase(current, actor=actor.sub, now=now)
            old_keys = match_keys(self.customers.document(current))
            await self.customers.register_keys(id, old_keys, set(), tx.session)
            doc = await self.customers.save(erased, current.version, tx.session)
            await self.customers.redact_history(id, tx.session)
            note = history.FieldChange("erasure_reason", None, reason.strip()[:500])
            record = history.Version(
                id, erased.version, now, actor.sub, VersionAction.ERASED, [note]
            )
            await self.customers.add_version(record, doc, tx.session)
            tx.emit(customer_erased.TYPE, id, customer_erased.payload(id, now, actor.sub))
            return erased

        return await self.uow.run(work)

    async def resolve_duplicate(self, actor: Principal, pair_id: str, status: str) -> None:
        actor.require_role(Role.ADMIN, Role.MANAGER)

        async def work(tx: Transaction) -> None:
            await self.customers.resolve_pair(pair_id, status, tx.session)

        await self.uow.run(work)
