"""Duplicate detection inside the customer use cases: which stored customers a record
matches (exact keys, the same name, a similar name), and keeping the match-key registry and
the candidate pairs in step with the records, in the caller's transaction. The rules and
their bounds are in `model`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_customer.customers.documents import to_document
from crm_customer.customers.model import Customer
from crm_customer.customers.queries import CustomerQueries
from crm_customer.duplicates.model import (
    Match,
    by_score,
    is_block_key,
    match_keys,
    near_candidates,
    rank,
    similar,
)
from crm_customer.duplicates.store import DuplicateRepository
from crm_customer.protection.crypto import DataProtector
from crm_kit.events import utcnow
from crm_kit.mongo import Document, Session

__all__ = ["DuplicateDetector", "by_score"]  # `by_score` also serves the batch create


@dataclass(frozen=True, slots=True)
class DuplicateDetector:
    store: DuplicateRepository
    protector: DataProtector  # match keys are blind indexes of the identifying values
    names: CustomerQueries | None = None  # names for the fuzzy (similar name) rule

    def keys_of(self, customer: Customer) -> set[str]:
        """The match keys of a record, made as its stored document makes them."""
        return match_keys(to_document(customer, self.protector))

    async def matches(
        self, id: str, name: str, holders: dict[str, list[str]], session: Session | None
    ) -> list[Match]:
        """Exact and same-name matches from the key holders, then similar names among the
        customers sharing a fuzzy block key (newest first); best first."""
        matches = rank(id, holders)
        if self.names is not None:
            seen = {m.customer_id for m in matches}
            near = near_candidates(id, holders, seen)
            names = await self.names.names_of(near, session)
            matches += similar(id, name, {i: names[i] for i in near if i in names}, seen)
        return by_score(matches)

    async def find(self, customer: Customer) -> list[Match]:
        """The stored customers this record duplicates (read only)."""
        holders = await self.store.key_holders(self.keys_of(customer))
        return await self.matches(customer.id, customer.name, holders, None)

    async def record_pairs(
        self, customer_id: str, matches: list[Match], now: datetime, session: Session
    ) -> None:
        """The matches become (or strengthen) candidate pairs to review, the strongest
        MAX_PAIRS of them (the store keeps that bound for every writer)."""
        if matches:
            await self.store.record_pairs(
                customer_id, [(m.customer_id, str(m.rule), m.score) for m in matches], now, session
            )

    async def rekey(self, before: Customer, doc: Document, session: Session) -> None:
        """Move the customer's match keys to its new document; new collisions become pairs
        to review."""
        old, new = self.keys_of(before), match_keys(doc)
        await self.store.register_keys(before.id, old, new, session)
        renamed = before.name != doc["name"] or before.region != doc.get("region")
        looked_up = (new - old) | ({k for k in new if is_block_key(k)} if renamed else set())
        if looked_up:
            holders = await self.store.key_holders(looked_up, session)
            matches = await self.matches(before.id, doc["name"], holders, session)
            await self.record_pairs(before.id, matches, utcnow(), session)
