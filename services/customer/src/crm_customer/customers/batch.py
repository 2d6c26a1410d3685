"""Use case: create a batch of customers (an import batch) in one transaction.

Each item gets the outcome `CustomerService.create` would give it if the items were created
one after another in order — validation errors, an exact duplicate of a stored customer or of
an earlier item refused with CONFLICT, a replayed idempotency key answered with its first
result — but the batch costs a fixed number of database commands instead of ~20 per item:

- outside the transaction: the replayed keys (one `_id $in`), the custom field definitions,
  the match-key registry for every key of the batch (one `_id $in`), the names of fuzzy
  candidates (one `_id $in`), the assignment rules (each rule's counter moved once);
- in the transaction: the registry again (one `_id $in`: if any key moved since, nothing is
  written here and the items go through `create` one by one), then one insert each for the
  idempotency guards, customers, new match keys, versions, duplicate pairs, audit records and
  outbox events, and one update each for grown keys and pairs.

A duplicate-key error in the transaction (a concurrent create took a key first) also falls
back to `create` per item, so a race never loses the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_customer.customers.model import Customer, NewCustomer
from crm_customer.customers.service import WRITERS, CustomerService, emit_created, validated
from crm_customer.duplicates.detection import by_score
from crm_customer.duplicates.model import (
    Match,
    match_keys,
    near_candidates,
    rank,
    refuse_exact_duplicates,
    similar,
)
from crm_customer.history.model import VersionAction, record
from crm_kit.auth import Principal
from crm_kit.errors import CrmError, NotFound
from crm_kit.events import utcnow
from crm_kit.idempotency import Key, ensure_same_request, key_for
from crm_kit.mongo import Document
from crm_kit.uow import Transaction

type ItemOutcome = Customer | CrmError


@dataclass(frozen=True, slots=True)
class Item:
    new: NewCustomer
    idempotency_key: str | None = None


@dataclass(slots=True)
class _Draft:
    index: int
    customer: Customer
    keys: set[str]
    key: Key | None
    matches: list[Match] = field(default_factory=list)


class _RegistryMoved(Exception):
    """A match key changed between the batch's duplicate check and its transaction."""


@dataclass(frozen=True, slots=True)
class BatchCreate:
    service: CustomerService

    async def create_many(
        self, actor: Principal, items: Sequence[Item], force: bool = False
    ) -> list[ItemOutcome]:
        """One outcome per item, in order: the created (or first) Customer, or the error."""
        actor.require_role(*WRITERS)
        outcomes: dict[int, ItemOutcome] = {}
        keys: dict[int, Key | None] = {}
        for i, item in enumerate(items):
            try:
                keys[i] = key_for(
                    "createCustomer", actor, item.idempotency_key or None, item.new, force
                )
            except CrmError as exc:
                outcomes[i] = exc
        await self._replays(keys, outcomes)
        now = utcnow()
        definitions = await self.service.field_definitions()
        drafts: list[_Draft] = []
        for i, item in enumerate(items):
            if i in outcomes:
                continue
            try:
                customer = validated(item.new, definitions, actor=actor.sub, now=now)
            except CrmError as exc:
                outcomes[i] = exc
                continue
            doc_keys = match_keys(self.service.customers.document(customer))
            drafts.append(_Draft(i, customer, doc_keys, keys[i]))
        registry = await self.service.duplicates.store.key_documents(
            {k for d in drafts for k in d.keys}
        )
        accepted = await self._check(drafts, registry, outcomes, force)
        accepted = await self._assign(accepted)
        if accepted:
            try:
                await self.service.uow.run(
                    lambda tx: self._write(tx, actor, accepted, registry, now)
                )
            except (_RegistryMoved, DuplicateKeyError):
                await self._one_by_one(actor, items, drafts, accepted, outcomes, force=force)
                return [outcomes[i] for i in range(len(items))]
            outcomes.update((d.index, d.customer) for d in accepted)
        return [outcomes[i] for i in range(len(items))]

    async def _replays(self, keys: dict[int, Key | None], outcomes: dict[int, ItemOutcome]) -> None:
        """Items whose key already produced a customer get that customer (as `create`)."""
        guards = self.service.customers.guards
        wanted = {k.guard_id: (i, k) for i, k in keys.items() if k is not None}
        found = await guards.find_many(wanted)
        firsts: dict[int, str] = {}
        for guard_id, doc in found.items():
            i, key = wanted[guard_id]
            target = str(doc["targetId"])
            try:
                ensure_same_request(doc.get("fingerprint") == key.fingerprint, "Customer", target)
                firsts[i] = target
            except CrmError as exc:
                outcomes[i] = exc
        stored = await self.service.customers.load_many(set(firsts.values()))
        for i, target in firsts.items():
            outcomes[i] = stored[target] if target in stored else NotFound("Customer", target)

    async def _check(
        self,
        drafts: list[_Draft],
        registry: dict[str, list[str]],
        outcomes: dict[int, ItemOutcome],
        force: bool,
    ) -> list[_Draft]:
        """The duplicate check of every draft against the stored customers and the drafts
        accepted before it; refused drafts get their CONFLICT."""
        holding = {k: list(ids) for k, ids in registry.items() if ids}
        names: dict[str, str] = {}
        lookups = self.service.duplicates.names
        if lookups is not None:  # every stored candidate any draft may score, in one query
            stored: set[str] = set()
            for d in drafts:
                holders = {k: holding[k] for k in d.keys if k in holding}
                seen = {m.customer_id for m in rank(d.customer.id, holders)}
                stored.update(near_candidates(d.customer.id, holders, seen))
            names = await lookups.names_of(sorted(stored))
        accepted: list[_Draft] = []
        for draft in drafts:
            c = draft.customer
            holders = {k: holding[k] for k in draft.keys if holding.get(k)}
            matches = rank(c.id, holders)
            if lookups is not None:
                seen = {m.customer_id for m in matches}
                near = near_candidates(c.id, holders, seen)
                matches += similar(c.id, c.name, {i: names[i] for i in near if i in names}, seen)
            draft.matches = by_score(matches)
            try:
                refuse_exact_duplicates(draft.matches, force)
            except CrmError as exc:
                outcomes[draft.index] = exc
                continue
            accepted.append(draft)
            names[c.id] = c.name
            for k in draft.keys:
                holding.setdefault(k, []).append(c.id)
        return accepted

    async def _assign(self, drafts: list[_Draft]) -> list[_Draft]:
        """Owners by the ADMIN rules for drafts that name none (after every check, so a
        refused item takes no turn)."""
        assigner = self.service.assigner
        open_ = [d for d in drafts if d.customer.owner_id is None]
        if assigner is None or not open_:
            return drafts
        places = [
            (
                d.customer.region,
                d.customer.addresses[0].city if d.customer.addresses else None,
                d.customer.industry,
            )
            for d in open_
        ]
        for draft, chosen in zip(open_, await assigner.choose_many(places), strict=True):
            if chosen is not None:
                draft.customer = replace(draft.customer, owner_id=chosen.owner_id, team=chosen.team)
        return drafts

    async def _write(
        self,
        tx: Transaction,
        actor: Principal,
        drafts: list[_Draft],
        registry: dict[str, list[str]],
        now: datetime,
    ) -> None:
        repo, keys = self.service.customers, self.service.duplicates.store
        all_keys = {k for d in drafts for k in d.keys}
        current = await keys.key_documents(all_keys, tx.session)
        for k in all_keys:  # held by the same customers (or absent) as when checked
            if (k in current) != (k in registry) or set(current.get(k, ())) != set(
                registry.get(k, ())
            ):
                raise _RegistryMoved
        await repo.guards.claim_many(
            [(d.key, d.customer.id) for d in drafts if d.key is not None], now, tx.session
        )
        docs: list[Document] = [repo.document(d.customer) for d in drafts]
        await repo.add_documents(docs, tx.session)
        added: dict[str, list[str]] = {}
        for d in drafts:
            for k in sorted(d.keys):
                added.setdefault(k, []).append(d.customer.id)
        await keys.register_many(added, tx.session, registered=set(current))
        await self.service.history.add_versions(
            [
                (record(None, d.customer, VersionAction.CREATED, actor.sub), doc)
                for d, doc in zip(drafts, docs, strict=True)
            ],
            tx.session,
        )
        await keys.record_pairs_many(
            [
                (d.customer.id, m.customer_id, str(m.rule), m.score)
                for d in drafts
                for m in d.matches
            ],
            now,
            tx.session,
        )
        for d in drafts:
            emit_created(tx, d.customer, actor.sub)

    async def _one_by_one(
        self,
        actor: Principal,
        items: Sequence[Item],
        drafts: list[_Draft],
        accepted: list[_Draft],
        outcomes: dict[int, ItemOutcome],
        *,
        force: bool,
    ) -> None:
        """The fallback: every item that passed validation through `create`, in order (the
        owners already chosen are kept, so no rule turn is taken twice)."""
        owners = {d.index: (d.customer.owner_id, d.customer.team) for d in accepted}
        for draft in drafts:
            new = items[draft.index].new
            if draft.index in owners and new.owner_id is None:
                owner, team = owners[draft.index]
                new = replace(new, owner_id=owner, team=team)
            try:
                outcomes[draft.index] = await self.service.create(
                    actor, new, items[draft.index].idempotency_key, force
                )
            except CrmError as exc:
                outcomes[draft.index] = exc
