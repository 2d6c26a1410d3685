"""Customer use cases: create, update, assign, archive, erase, and the stage moves the system
makes when sales opportunities are opened or won. Each write runs in one transaction with its
version record, its match keys and its outbox events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_customer.assignment.service import Assigner
from crm_customer.catalog.field_values import apply_values
from crm_customer.catalog.model import FieldDefinition
from crm_customer.catalog.queries import CatalogQueries
from crm_customer.customers import model
from crm_customer.customers.model import Customer, CustomerChanges, NewCustomer
from crm_customer.customers.store import CustomerRepository
from crm_customer.customers.values import LifecycleStage
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.duplicates.model import match_keys, refuse_exact_duplicates
from crm_customer.events import (
    customer_archived,
    customer_assigned,
    customer_created,
    customer_erased,
    customer_updated,
)
from crm_customer.events.batch import tagged
from crm_customer.history.model import FieldChange, Version, VersionAction, record
from crm_customer.history.store import HistoryRepository
from crm_customer.staff.store import StaffRepository
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Conflict, FieldError
from crm_kit.events import utcnow
from crm_kit.idempotency import Key, key_for
from crm_kit.uow import Transaction, UnitOfWork

WRITERS = (Role.ADMIN, Role.MANAGER, Role.SALES)
# Who a change the system makes by itself is attributed to (history, events; the audit log
# names `system:<service>` for work without a caller).
SYSTEM_ACTOR = "system:customer"
MAX_MERGE_HOPS = 10  # a chain of merges longer than this is a broken record


def new_customer_id() -> str:
    return uuid.uuid4().hex


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
        customer = model.create(
            replace(new, custom_fields=values), id=new_customer_id(), actor=actor, now=now
        )
    except BadUserInput as exc:
        raise BadUserInput([*exc.field_errors, *errors]) from exc
    if errors:
        raise BadUserInput(errors)
    return customer


def emit_created(tx: Transaction, customer: Customer, actor: str) -> None:
    """`customer.created.v1`, and `customer.assigned.v1` when it was created with an owner."""
    tx.emit(customer_created.TYPE, customer.id, tagged(customer_created.payload(customer, actor)))
    if customer.owner_id:
        assigned = customer_assigned.payload(customer, None, actor)
        tx.emit(customer_assigned.TYPE, customer.id, tagged(assigned))


@dataclass(frozen=True, slots=True)
class CustomerService:
    uow: UnitOfWork
    customers: CustomerRepository
    history: HistoryRepository
    duplicates: DuplicateDetector
    staff: StaffRepository | None = None  # an inactive owner is refused
    definitions: CatalogQueries | None = None  # custom fields (none allowed without)
    assigner: Assigner | None = None  # owner by rule when a create names none

    async def field_definitions(self) -> dict[str, FieldDefinition]:
        return {} if self.definitions is None else await self.definitions.definitions()

    async def owned_by_rule(self, customer: Customer) -> Customer:
        """The customer with the owner the ADMIN rules choose, when it names none."""
        if customer.owner_id is not None or self.assigner is None:
            return customer
        city = customer.addresses[0].city if customer.addresses else None
        chosen = await self.assigner.choose(customer.region, city, customer.industry)
        if chosen is None:
            return customer
        return replace(customer, owner_id=chosen.owner_id, team=chosen.team)

    async def create(
        self,
        actor: Principal,
        new: NewCustomer,
        idempotency_key: str | None = None,
        force: bool = False,
    ) -> Customer:
        actor.require_role(*WRITERS)
        key = key_for("createCustomer", actor, idempotency_key or None, new, force)
        if existing := await self.customers.guards.first_result_id(key, "Customer"):
            return await self.customers.get(existing)
        now = utcnow()
        customer = validated(new, await self.field_definitions(), actor=actor.sub, now=now)
        # By the ADMIN rules; after validation, so a refused create takes no turn.
        customer = await self.owned_by_rule(customer)

        async def work(tx: Transaction) -> Customer:
            return await self._insert(tx, actor, customer, key, force=force)

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

    async def _insert(
        self, tx: Transaction, actor: Principal, customer: Customer, key: Key | None, *, force: bool
    ) -> Customer:
        """The create's transaction: duplicates checked inside it (a concurrent create of the
        same keys conflicts), then the record, its keys, first version, pairs and events."""
        doc = self.customers.document(customer)
        doc_keys = match_keys(doc)
        registry = await self.duplicates.store.key_documents(doc_keys, tx.session)
        holders = {k: ids for k, ids in registry.items() if ids}
        matches = await self.duplicates.matches(customer.id, customer.name, holders, tx.session)
        refuse_exact_duplicates(matches, force)
        await self.customers.guards.claim(key, customer.id, customer.created_at, tx.session)
        await self.customers.add_documents([doc], tx.session)
        await self.duplicates.store.register_keys(
            customer.id, set(), doc_keys, tx.session, registered=registry
        )
        version = record(None, customer, VersionAction.CREATED, actor.sub)
        await self.history.add_version(version, doc, tx.session)
        await self.duplicates.record_pairs(customer.id, matches, customer.created_at, tx.session)
        emit_created(tx, customer, actor.sub)
        return customer

    async def update(
        self, actor: Principal, id: str, expected_version: int, changes: CustomerChanges
    ) -> Customer:
        actor.require_role(*WRITERS)
        # Read once, outside the transaction (as create does): not again on every retry.
        definitions = await self.field_definitions() if changes.custom_fields is not None else {}

        async def work(tx: Transaction) -> Customer:
            current = model.ensure_live(await self.customers.get(id, tx.session))
            edits = changes
            if changes.custom_fields is not None:  # a patch: named keys change, others stay
                values = apply_values(definitions, changes.custom_fields, current.custom_fields)
                edits = replace(changes, custom_fields=values)
            updated, changed = model.apply_changes(current, edits, actor=actor.sub, now=utcnow())
            if not changed:
                return current
            doc = await self.customers.save(updated, expected_version, tx.session)
            await self.duplicates.rekey(current, doc, tx.session)
            version = record(current, updated, VersionAction.UPDATED, actor.sub)
            await self.history.add_version(version, doc, tx.session)
            tx.emit(
                customer_updated.TYPE,
                updated.id,
                tagged(customer_updated.payload(updated, changed, actor.sub)),
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
            current = model.ensure_live(await self.customers.get(id, tx.session))
            version = current.version if expected_version is None else expected_version
            if current.owner_id == owner_id.strip() and (team is None or team == current.team):
                return current
            updated = model.assign(
                current, owner_id=owner_id, team=team, actor=actor.sub, now=utcnow()
            )
            doc = await self.customers.save(updated, version, tx.session)
            change = record(current, updated, VersionAction.ASSIGNED, actor.sub)
            await self.history.add_version(change, doc, tx.session)
            tx.emit(
                customer_assigned.TYPE,
                updated.id,
                tagged(customer_assigned.payload(updated, current.owner_id, actor.sub)),
            )
            return updated

        return await self.uow.run(work)

    async def set_archived(
        self, actor: Principal, id: str, archived: bool, expected_version: int | None
    ) -> Customer:
        actor.require_role(Role.ADMIN, Role.MANAGER)

        async def work(tx: Transaction) -> Customer:
            current = model.ensure_live(await self.customers.get(id, tx.session))
            if current.archived == archived:
                return current
            version = current.version if expected_version is None else expected_version
            updated = model.set_archived(current, archived, actor=actor.sub, now=utcnow())
            doc = await self.customers.save(updated, version, tx.session)
            action = VersionAction.ARCHIVED if archived else VersionAction.UNARCHIVED
            await self.history.add_version(
                record(current, updated, action, actor.sub), doc, tx.session
            )
            if archived:
                tx.emit(
                    customer_archived.TYPE,
                    updated.id,
                    tagged(customer_archived.payload(updated, actor.sub)),
                )
            else:  # brought back: an update of `archived` (the snapshot says archived: false)
                tx.emit(
                    customer_updated.TYPE,
                    updated.id,
                    tagged(customer_updated.payload(updated, ["archived"], actor.sub)),
                )
            return updated

        return await self.uow.run(work)

    async def advance_stage(
        self, tx: Transaction, customer_id: str, target: LifecycleStage
    ) -> Customer | None:
        """Move the customer (the survivor, for a merged-away id) forward to `target` in the
        caller's transaction (an event consumer's), by `SYSTEM_ACTOR`: a new version with its
        history (and its audit record) and `customer.updated.v1` naming `stage`. None, and
        nothing written, when the rules leave the customer alone (`model.advance_stage`) or
        there is no such customer, or it was erased."""
        current = await self._survivor(customer_id, tx)
        if current is None:
            return None
        updated = model.advance_stage(current, target, actor=SYSTEM_ACTOR, now=utcnow())
        if updated is None:
            return None
        doc = await self.customers.save(updated, current.version, tx.session)
        version = record(current, updated, VersionAction.UPDATED, SYSTEM_ACTOR)
        await self.history.add_version(version, doc, tx.session)
        payload = customer_updated.payload(updated, ["stage"], SYSTEM_ACTOR)
        tx.emit(customer_updated.TYPE, updated.id, tagged(payload))
        return updated

    async def _survivor(self, customer_id: str, tx: Transaction) -> Customer | None:
        """The live record an id stands for: itself, or the survivor its merges lead to."""
        current_id = customer_id
        for _ in range(MAX_MERGE_HOPS):
            found = (await self.customers.load_many([current_id], tx.session)).get(current_id)
            if found is None or found.erased:
                return None
            if not found.merged_into:
                return found
            current_id = found.merged_into
        return None

    async def erase(self, actor: Principal, id: str, reason: str) -> Customer:
        """Right to erasure: personal data, its history values and match keys are removed;
        an archived tombstone keeps the id. Emits customer.erased.v1."""
        actor.require_role(Role.ADMIN)
        if not reason.strip():
            raise BadUserInput.single("reason", "REQUIRED", "A reason is required")

        async def work(tx: Transaction) -> Customer:
            current = model.ensure_live(await self.customers.get(id, tx.session))
            if current.erased:
                return current
            now = utcnow()
            erased = model.erase(current, actor=actor.sub, now=now)
            keys = self.duplicates.store
            await keys.register_keys(id, self.duplicates.keys_of(current), set(), tx.session)
            doc = await self.customers.save(erased, current.version, tx.session)
            await self.history.redact(id, tx.session)
            await keys.redact(id, tx.session)
            note = FieldChange("erasure_reason", None, reason.strip()[:500])
            version = Version(id, erased.version, now, actor.sub, VersionAction.ERASED, [note])
            await self.history.add_version(version, doc, tx.session)
            tx.emit(customer_erased.TYPE, id, customer_erased.payload(id, now, actor.sub))
            return erased

        return await self.uow.run(work)
