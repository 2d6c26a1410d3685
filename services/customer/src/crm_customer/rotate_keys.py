"""``python -m crm_customer.rotate_keys [--batch N] [--check]``: re-encrypt customer data to
the current data key, online.

Procedure: put the new key first in ``CUSTOMER_DATA_KEYS`` (``new:…,old:…``) on every replica
(new writes use it, both keys decrypt), run this command, and remove the old key once
``--check`` reports nothing left under it. It walks the customers in `_id` order in batches;
each record is rewritten in a short transaction of its own, conditioned on the version it
read: a record changed meanwhile was written by the service under the current key already, so
it is left as it is. Version history (sealed states and changes) is re-encrypted the same way.
Records written before contact data was encrypted (plaintext phones, emails, addresses) are
sealed too, and their plaintext match keys replaced by blind indexes — so the command is also
the migration step for existing data. Idempotent; safe to stop and run again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from crm_customer.customers.documents import change_doc, change_values, from_document, to_document
from crm_customer.customers.store import CUSTOMERS
from crm_customer.duplicates.model import match_keys
from crm_customer.duplicates.store import DuplicateRepository
from crm_customer.history.store import VERSIONS
from crm_customer.protection.crypto import DataProtector
from crm_kit.mongo import Document, Session, create_client, transaction_options
from crm_kit.settings import ServiceSettings

ATTEMPTS = 5
PLAINTEXT_FIELDS = ("phones", "emails", "wechat_id", "addresses", "contacts")


@dataclass(slots=True)
class Rotation:
    customers: int = 0
    versions: int = 0
    skipped_changed: int = 0
    remaining: int = 0


def stale(protector: DataProtector, doc: Document) -> bool:
    """A record with a value under a non-current key, or contact data in plaintext."""
    if any(f in doc for f in PLAINTEXT_FIELDS):
        return True
    return protector.needs_rotation(doc.get("id_card_enc")) or protector.needs_rotation(
        doc.get("pii_enc")
    )


def _stale_version(protector: DataProtector, doc: Document) -> bool:
    state = doc.get("state")
    if state and stale(protector, state):
        return True
    return any(
        protector.needs_rotation(c.get("sealed"))
        or ("sealed" not in c and c.get("field") in PLAINTEXT_FIELDS and c.get("after"))
        for c in doc.get("changes") or []
    )


def _resealed_version(protector: DataProtector, doc: Document) -> Document:
    customer_id = str(doc["customer_id"])
    update: Document = {
        "changes": [
            change_doc(
                protector, customer_id, c["field"], *change_values(protector, customer_id, c)
            )
            for c in doc.get("changes") or []
        ]
    }
    if doc.get("state"):
        update["state"] = {
            k: v
            for k, v in to_document(from_document(doc["state"], protector), protector).items()
            if k != "search_terms"
        }
    return update


class KeyRotation:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        db: AsyncDatabase[Document],
        protector: DataProtector,
    ) -> None:
        self.client = client
        self.db = db
        self.protector = protector
        self.match_keys = DuplicateRepository(db)  # the match-key registry upkeep

    async def _in_tx(self, work: Any) -> bool:
        """One short transaction; a failed one (server busy, failover) is tried again a few
        times — the work re-reads its record, so a retry is always safe."""
        for attempt in range(ATTEMPTS):
            try:
                async with self.client.start_session() as session:
                    result: bool = await session.with_transaction(
                        work, max_commit_time_ms=10_000, **transaction_options()
                    )
                    return result
            except PyMongoError:
                if attempt == ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def _customer(self, doc: Document) -> bool:
        """Re-encrypt one record if it is still the version read; False when it changed."""

        async def work(s: Session) -> bool:
            current = await self.db[CUSTOMERS].find_one({"_id": doc["_id"]}, session=s)
            if current is None or current.get("version") != doc.get("version"):
                return False
            fresh = to_document(from_document(current, self.protector), self.protector)
            fresh.pop("_id")
            unset = {f: "" for f in PLAINTEXT_FIELDS if f in current}
            update: Document = {"$set": fresh, **({"$unset": unset} if unset else {})}
            await self.db[CUSTOMERS].update_one(
                {"_id": doc["_id"], "version": doc.get("version")}, update, session=s
            )
            if not current.get("merged_into"):
                await self.match_keys.register_keys(
                    str(doc["_id"]), match_keys(current), match_keys(fresh), s
                )
            return True

        return await self._in_tx(work)

    async def _version(self, doc: Document) -> None:
        async def work(s: Session) -> bool:
            await self.db[VERSIONS].update_one(
                {"_id": doc["_id"]}, {"$set": _resealed_version(self.protector, doc)}, session=s
            )
            return True

        await self._in_tx(work)

    async def run(self, batch: int = 100, check_only: bool = False) -> Rotation:
        result = Rotation()
        for collection, is_stale in ((CUSTOMERS, stale), (VERSIONS, _stale_version)):
            last = ""
            while True:
                cursor = (
                    self.db[collection]
                    .find({"_id": {"$gt": last}})
                    .sort("_id", ASCENDING)
                    .limit(batch)
                )
                docs = [d async for d in cursor]
                for doc in docs:
                    if not is_stale(self.protector, doc):
                        continue
                    if check_only:
                        result.remaining += 1
                    elif collection == VERSIONS:
                        await self._version(doc)
                        result.versions += 1
                    elif await self._customer(doc):
                        result.customers += 1
                    else:
                        result.skipped_changed += 1
                if len(docs) < batch:
                    break
                last = docs[-1]["_id"]
        return result


async def _main(args: argparse.Namespace) -> int:
    settings = ServiceSettings.from_env("customer", 0)
    protector = DataProtector.from_env()
    client = create_client(settings.mongodb_uri, "customer-rotate-keys")
    try:
        rotation = KeyRotation(client, client[settings.mongodb_database], protector)
        result = await rotation.run(args.batch, check_only=args.check)
    finally:
        await client.close()
    if args.check:
        print(f"records not under key {protector.current_key_id!r}: {result.remaining}")
        return 1 if result.remaining else 0
    print(
        f"re-encrypted to key {protector.current_key_id!r}: {result.customers} customers, "
        f"{result.versions} history versions; {result.skipped_changed} changed meanwhile "
        "(already written under the current key)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_customer.rotate_keys")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--check", action="store_true", help="only count what is left")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
