"""Use cases: merge duplicates into a survivor, and undo a merge within the retention window."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from crm_customer.customers import model as domain
from crm_customer.customers.model import Customer
from crm_customer.duplicates.model import FieldChoice, check_request, match_keys, merge
from crm_customer.events import customer_merged, customer_updated
from crm_customer.history import model as history
from crm_customer.history.model import VersionAction
from crm_customer.repository import CustomerRepository
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Conflict
from crm_kit.events import utcnow
from crm_kit.idempotency import key_for
from crm_kit.uow import Transaction, UnitOfWork

UNMERGE_RETENTION = timedelta(days=30)
MERGERS = (Role.ADMIN, Role.MANAGER)


@dataclass(frozen=True, slots=True)
class MergeResult:
    merge_id: str
    survivor: Customer


@dataclass(frozen=True, slots=True)
class MergeCommands:
    uow: UnitOfWork
    customers: CustomerRepository

    def _keys(self, customer: Customer) -> set[str]:
        return match_keys(self.customers.document(customer))

    async def _live(self, id: str, tx: Transaction) -> Customer:
        customer = await self.customers.get(id, tx.session)
        if customer.merged_into:
            raise Conflict(
                f"Customer {id} was merged into {customer.merged_into}",
                conflicting_id=customer.merged_into,
            )
        return customer

    async def merge(
        self,
        actor: Principal,
        survivor_id: str,
        merged_ids: list[str],
        choices: list[FieldChoice],
        expected_version: int | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> MergeResult:
        actor.require_role(*MERGERS)
        check_request(survivor_id, merged_ids, choices)
        key = key_for("mergeCustomers", actor, idempotency_key or None)
        if done := await self.customers.guards.first_result_id(key, "merge"):
            return MergeResult(done, await self.customers.get(survivor_id))
        merge_id = uuid.uuid4().hex

        async def work(tx: Transaction) -> MergeResult:
            # First, so a concurrent retry with the same key aborts before any write.
            await self.customers.guards.claim(key, merge_id, utcnow(), tx.session)
            now = utcnow()
            survivor = await self._live(survivor_id, tx)
            others = [await self._live(i, tx) for i in merged_ids]
            merged, changed = merge(survivor, others, choices, actor=actor.sub, now=now)
            version = survivor.version if expected_version is None else expected_version
            doc = await self.customers.save(merged, version, tx.session)
            record = history.record(survivor, merged, VersionAction.MERGED, actor.sub)
            await self.customers.add_version(
                replace(
                    record,
                    changes=[*record.changes, history.FieldChange("merged_from", None, merged_ids)],
                ),
                doc,
                tx.session,
            )
            for other in others:
                await self.customers.register_keys(other.id, self._keys(other), set(), tx.session)
                gone = domain.tombstone(other, survivor.id, actor=actor.sub, now=now)
                gone_doc = await self.customers.save(gone, other.version, tx.session)
                await self.customers.add_version(
                    history.record(other, gone, VersionAction.MERGED_INTO, actor.sub),
                    gone_doc,
                    tx.session,
                )
            await self.customers.register_keys(
                survivor.id, self._keys(survivor), self._keys(merged), tx.session
            )
            await self.customers.close_pairs([survivor_id, *merged_ids], "MERGED", tx.session)
            await self.customers.add_merge(
                {
                    "_id": merge_id,
                    "survivor_id": survivor.id,
                    "merged_ids": merged_ids,
                    "at": now,
                    "actor": actor.sub,
                    "status": "DONE",
                    "changed_fields": changed,
                    "survivor_version": merged.version,
                    "before": [self.customers.document(c) for c in (survivor, *others)],
                },
                tx.session,
            )
            tx.emit(
                customer_merged.TYPE,
                survivor.id,
                customer_merged.payload(merged, merged_ids, merge_id, actor.sub),
            )
            return MergeResult(merge_id, merged)

        try:
            return await self.uow.run(work)
        except DuplicateKeyError:
            # A concurrent retry with the same key won: answer with its merge.
            if done := await self.customers.guards.first_result_id(key, "merge"):
                return MergeResult(done, await self.customers.get(survivor_id))
            raise

    async def unmerge(self, actor: Principal, merge_id: str) -> list[Customer]:
        """Restore every record of a merge as it was, if the survivor is unchanged since."""
        actor.require_role(*MERGERS)

        async def work(tx: Transaction) -> list[Customer]:
            now = utcnow()
            record = await self.customers.get_merge(merge_id, tx.session)
            if record["status"] != "DONE":
                raise BadUserInput.single("mergeId", "ALREADY_UNMERGED", "Already undone")
            if record["at"] + UNMERGE_RETENTION < now:
                raise BadUserInput.single("mergeId", "RETENTION_EXPIRED", "Too old to undo")
            befores = [self.customers.load(d) for d in record["before"]]
            restored: list[Customer] = []
            for before in befores:
                current = await self.customers.get(before.id, tx.session)
                if current.id == record["survivor_id"] and (
                    current.version != record["survivor_version"]
                ):
                    raise Conflict(
                        f"Customer {current.id} changed after the merge; undo those changes first",
                        conflicting_id=current.id,
                        currentVersion=current.version,
                    )
                back = replace(
                    before,
                    version=current.version + 1,
                    updated_at=now,
                    updated_by=actor.sub,
                )
                doc = await self.customers.save(back, current.version, tx.session)
                await self.customers.register_keys(
                    back.id,
                    self._keys(current) if not current.merged_into else set(),
                    match_keys(doc),
                    tx.session,
                )
                await self.customers.add_version(
                    history.record(current, back, VersionAction.UNMERGED, actor.sub),
                    doc,
                    tx.session,
                )
                tx.emit(
                    customer_updated.TYPE,
                    back.id,
                    customer_updated.payload(
                        back, [*domain.changed_fields(current, back), "merged_into"], actor.sub
                    ),
                )
                restored.append(back)
            await self.customers.mark_unmerged(merge_id, now, tx.session)
            return restored

        return await self.uow.run(work)
