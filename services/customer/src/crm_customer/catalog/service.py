"""Use cases of the ADMIN catalogs: custom field definitions, and the tag catalog (with renames
carried to every customer in bounded batches)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from crm_customer.catalog import model as catalog
from crm_customer.catalog.model import FieldDefinition, Tag
from crm_customer.catalog.store import FieldDefinitionRepository, TagRepository
from crm_customer.customers.model import CustomerChanges
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.service import CustomerService
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Conflict, CrmError, NotFound
from crm_kit.events import utcnow
from crm_kit.uow import Transaction, UnitOfWork

MAX_RENAME_ROUNDS = 10_000  # batches; a rename of 10⁶ customers fits


@dataclass(frozen=True, slots=True)
class RenameResult:
    tag: Tag
    updated: int
    failed: list[str]


@dataclass(frozen=True, slots=True)
class CatalogService:
    uow: UnitOfWork
    definitions: FieldDefinitionRepository
    tags: TagRepository
    customers: CustomerService  # a tag rename is an update of every customer holding it
    queries: CustomerQueries

    # --- custom field definitions ---------------------------------------------------------

    async def save_definition(self, actor: Principal, draft: FieldDefinition) -> FieldDefinition:
        actor.require_role(Role.ADMIN)

        async def work(tx: Transaction) -> FieldDefinition:
            existing = await self.definitions.get(draft.key.strip(), tx.session)
            clean = catalog.validated_definition(draft, existing, actor=actor.sub, now=utcnow())
            if existing is None and (
                await self.definitions.count(tx.session) >= catalog.MAX_DEFINITIONS
            ):
                raise BadUserInput.single("key", "TOO_MANY_DEFINITIONS", "Too many fields")
            await self.definitions.put(clean, tx.session)
            return clean

        return await self.uow.run(work)

    async def deactivate_definition(self, actor: Principal, key: str) -> FieldDefinition:
        """Hidden from forms and refused in new values; stored values stay (and can be read)."""
        actor.require_role(Role.ADMIN)

        async def work(tx: Transaction) -> FieldDefinition:
            existing = await self.definitions.get(key, tx.session)
            if existing is None:
                raise NotFound("CustomFieldDefinition", key)
            done = replace(existing, active=False, updated_at=utcnow(), updated_by=actor.sub)
            await self.definitions.put(done, tx.session)
            return done

        return await self.uow.run(work)

    # --- tag catalog ----------------------------------------------------------------------

    async def save_tag(self, actor: Principal, draft: Tag) -> Tag:
        actor.require_role(Role.ADMIN)
        clean = catalog.validated_tag(draft, actor=actor.sub, now=utcnow())

        async def work(tx: Transaction) -> Tag:
            await self.tags.put(clean, tx.session)
            return clean

        return await self.uow.run(work)

    async def delete_tag(self, actor: Principal, name: str) -> bool:
        """Out of the catalog; customers keep the name as a free tag."""
        actor.require_role(Role.ADMIN)

        async def work(tx: Transaction) -> bool:
            return await self.tags.delete(name.strip(), tx.session)

        return await self.uow.run(work)

    async def rename_tag(self, actor: Principal, old: str, new: str) -> RenameResult:
        """Rename in the catalog, then on every customer holding it, `RENAME_BATCH` customers
        at a time, each in its own transaction with a version and `customer.updated.v1`.

        Calling it again after an interruption finishes the job (the catalog already holds
        the new name; customers still holding the old one are found by the tags index).
        """
        actor.require_role(Role.ADMIN)
        old_name, new_name = catalog.check_rename(old, new)

        async def move(tx: Transaction) -> Tag:
            current = await self.tags.get(old_name, tx.session)
            target = await self.tags.get(new_name, tx.session)
            if current is None:
                if target is None:
                    raise NotFound("Tag", old_name)
                return target  # resuming an interrupted rename
            if target is not None:
                raise BadUserInput.single("newName", "TAG_EXISTS", "A tag has this name")
            moved = replace(current, name=new_name, updated_at=utcnow(), updated_by=actor.sub)
            await self.tags.delete(old_name, tx.session)
            await self.tags.put(moved, tx.session)
            return moved

        tag = await self.uow.run(move)
        updated, failed = 0, list[str]()
        for _ in range(MAX_RENAME_ROUNDS):
            holders = await self.queries.tag_holders(old_name, catalog.RENAME_BATCH + len(failed))
            ids = [i for i in holders if i not in failed]
            if not ids:
                break
            for id in ids[: catalog.RENAME_BATCH]:
                if await self._rename_on(actor, id, old_name, new_name, holders[id]):
                    updated += 1
                else:
                    failed.append(id)
        return RenameResult(tag, updated, failed)

    async def _rename_on(
        self, actor: Principal, id: str, old: str, new: str, seen: tuple[int, list[str]]
    ) -> bool:
        """`seen`: the customer's version and tags as the batch query found them."""
        version, held = seen
        for attempt in range(3):
            if attempt:  # a concurrent edit of the same customer: read again and retry
                current = await self.queries.get(id)
                version, held = current.version, current.tags
            if old not in held:
                return True
            try:
                await self.customers.update(
                    actor, id, version, CustomerChanges(tags=catalog.renamed(held, old, new))
                )
                return True
            except Conflict:
                continue
            except CrmError:
                return False
        return False
