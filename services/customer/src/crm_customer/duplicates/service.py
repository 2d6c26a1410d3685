"""Duplicate use cases: merge duplicates into a survivor, undo a merge within the retention
window, and dismiss a candidate pair. Each runs in one transaction with its versions, match
keys and events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from crm_customer.customers import model
from crm_customer.customers.model import Customer
from crm_customer.customers.store import CustomerRepository
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.duplicates.model import (
    FieldChoice,
    MergeRequest,
    check_request,
    match_keys,
    merge,
)
from crm_customer.duplicates.store import DuplicateRepository
from crm_customer.events import customer_merged, customer_unmerged, customer_updated
from crm_customer.history.model import MERGED_FROM, FieldChange, VersionAction, record
from crm_customer.history.store import HistoryRepository
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Conflict
from crm_kit.events import utcnow
from crm_kit.idempotency import key_for
from crm_kit.mongo import Document
from crm_kit.uow import Transaction, UnitOfWork

UNMERGE_RETENTION = timedelta(days=30)
MERGERS = (Role.ADMIN, Role.MANAGER)


@dataclass(frozen=True, slots=True)
class MergeResult:
    merge_id: str
    survivor: Customer


@dataclass(frozen=True, slots=True)
class DuplicateService:
    uow: UnitOfWork
    customers: CustomerRepository
    history: HistoryRepository
    store: DuplicateRepository
    detector: DuplicateDetector

    async def _live(self, id: str, tx: Transaction) -> Customer:
        return model.ensure_live(await self.customers.get(id, tx.session))

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
        request = MergeRequest(survivor_id, merged_ids, choices, expected_version)
        key = key_for("mergeCustomers", actor, idempotency_key or None, request)
        if done := await self.customers.guards.first_result_id(key, "merge"):
            return MergeResult(done, await self.customers.get(survivor_id))
        merge_id = uuid.uuid4().hex

        async def work(tx: Transaction) -> MergeResult:
            # First, so a concurrent retry with the same key aborts before any write.
            await self.customers.guards.claim(key, merge_id, utcnow(), tx.session)
            return await self._merge(tx, actor.sub, request, merge_id)

        try:
            return await self.uow.run(work)
        except DuplicateKeyError:
            # A concurrent retry with the same key won: answer with its merge.
            if done := await self.customers.guards.first_result_id(key, "merge"):
                return MergeResult(done, await self.customers.get(survivor_id))
            raise

    async def _merge(
        self, tx: Transaction, actor: str, request: MergeRequest, merge_id: str
    ) -> MergeResult:
        """The merge's transaction: the survivor's new version, the others' tombstones, the
        match keys moved, the pairs among them closed, the merge record and the event."""
        now = utcnow()
        survivor = await self._live(request.survivor_id, tx)
        others = [await self._live(i, tx) for i in request.merged_ids]
        merged, changed = merge(survivor, others, request.choices, actor=actor, now=now)
        version = survivor.version if request.expected_version is None else request.expected_version
        doc = await self.customers.save(merged, version, tx.session)
        change = record(survivor, merged, VersionAction.MERGED, actor)
        merged_from = FieldChange(MERGED_FROM, None, request.merged_ids)
        change = replace(change, changes=[*change.changes, merged_from])
        await self.history.add_version(change, doc, tx.session)
        await self._retire(others, survivor.id, actor, now, tx)
        old_keys, new_keys = self.detector.keys_of(survivor), self.detector.keys_of(merged)
        await self.store.register_keys(survivor.id, old_keys, new_keys, tx.session)
        await self.store.close_pairs(request.record_ids, "MERGED", tx.session)
        before = [self.customers.document(c) for c in (survivor, *others)]
        await self.store.add_merge(
            {
                "_id": merge_id,
                "survivor_id": survivor.id,
                "merged_ids": request.merged_ids,
                "at": now,
                "actor": actor,
                "status": "DONE",
                "changed_fields": changed,
                "survivor_version": merged.version,
                "before": before,
            },
            tx.session,
        )
        payload = customer_merged.payload(merged, request.merged_ids, merge_id, actor)
        tx.emit(customer_merged.TYPE, survivor.id, payload)
        return MergeResult(merge_id, merged)

    async def _retire(
        self, others: list[Customer], survivor_id: str, actor: str, now: datetime, tx: Transaction
    ) -> None:
        """The merged-away records become tombstones pointing to the survivor, without keys."""
        for other in others:
            await self.store.register_keys(
                other.id, self.detector.keys_of(other), set(), tx.session
            )
            gone = model.tombstone(other, survivor_id, actor=actor, now=now)
            gone_doc = await self.customers.save(gone, other.version, tx.session)
            await self.history.add_version(
                record(other, gone, VersionAction.MERGED_INTO, actor), gone_doc, tx.session
            )

    async def unmerge(self, actor: Principal, merge_id: str) -> list[Customer]:
        """Restore every record of a merge as it was, if the survivor is unchanged since, and
        tell the other services (`customer.unmerged.v1`) to move back what they moved."""
        actor.require_role(*MERGERS)

        async def work(tx: Transaction) -> list[Customer]:
            now = utcnow()
            merged = await self.store.get_merge(merge_id, tx.session)
            if merged["status"] != "DONE":
                raise BadUserInput.single("mergeId", "ALREADY_UNMERGED", "Already undone")
            if merged["at"] + UNMERGE_RETENTION < now:
                raise BadUserInput.single("mergeId", "RETENTION_EXPIRED", "Too old to undo")
            restored = [
                await self._restore(self.customers.load(doc), merged, actor.sub, now, tx)
                for doc in merged["before"]
            ]
            await self.store.mark_unmerged(merge_id, now, tx.session)
            survivor = next(c for c in restored if c.id == merged["survivor_id"])
            others = [c for c in restored if c.id != survivor.id]
            payload = customer_unmerged.payload(survivor, others, merge_id, actor.sub)
            tx.emit(customer_unmerged.TYPE, survivor.id, payload)
            return restored

        return await self.uow.run(work)

    async def _restore(
        self, before: Customer, merged: Document, actor: str, now: datetime, tx: Transaction
    ) -> Customer:
        """One record of a merge back as it was before it, as a new version."""
        current = await self.customers.get(before.id, tx.session)
        if current.id == merged["survivor_id"] and current.version != merged["survivor_version"]:
            raise Conflict(
                f"Customer {current.id} changed after the merge; undo those changes first",
                conflicting_id=current.id,
                currentVersion=current.version,
            )
        back = replace(before, version=current.version + 1, updated_at=now, updated_by=actor)
        doc = await self.customers.save(back, current.version, tx.session)
        await self.store.register_keys(
            back.id,
            self.detector.keys_of(current) if not current.merged_into else set(),
            match_keys(doc),
            tx.session,
        )
        await self.history.add_version(
            record(current, back, VersionAction.UNMERGED, actor), doc, tx.session
        )
        tx.emit(
            customer_updated.TYPE,
            back.id,
            customer_updated.payload(
                back, [*model.changed_fields(current, back), "merged_into"], actor
            ),
        )
        return back

    async def dismiss(self, actor: Principal, pair_id: str) -> None:
        """Close a candidate pair as not a duplicate."""
        actor.require_role(Role.ADMIN, Role.MANAGER)

        async def work(tx: Transaction) -> None:
            await self.store.resolve_pair(pair_id, "DISMISSED", tx.session)

        await self.uow.run(work)
