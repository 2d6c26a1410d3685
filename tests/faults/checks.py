"""What exists afterwards, read straight from each service's own database."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from typing import Any

from crm_customer.history.store import VERSIONS
from crm_interaction.customers.store import CUSTOMERS as PROJECTION
from crm_interaction.timeline.store import TIMELINE
from crm_kit.consumer import INBOX_COLLECTION
from crm_kit.mongo import create_client
from crm_notification.inbox.store import NOTIFICATIONS
from crm_sales.customers.store import CUSTOMERS as SALES_PROJECTION
from crm_sales.opportunities.store import OPPORTUNITIES
from tests.faults.system import System

DELIVERED = "notification.delivered.v1"
CHUNK = 200


class Store:
    """Read access to the service databases of a fault-suite system."""

    def __init__(self, system: System) -> None:
        self._clients: dict[str, Any] = {
            uri: create_client(uri, "fault-checks") for uri in set(system.mongodb_uris.values())
        }
        self._dbs = {
            name: self._clients[system.mongodb_uris[name]][db]
            for name, db in system.databases.items()
        }

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()

    async def customers_total(self) -> int:
        return int(await self._dbs["customer"]["customers"].count_documents({}))

    async def _count(
        self, service: str, collection: str, key: str, ids: list[str], extra: dict[str, Any]
    ) -> Counter[str]:
        """How many documents refer to each id (queried in chunks: the embedded server limits
        the size of an `$in` expression)."""
        counts: Counter[str] = Counter()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            query = {key: {"$in": chunk}, **extra}
            docs = await self._dbs[service][collection].find(query, {key: 1}).to_list()
            counts.update(str(d[key]) for d in docs)
        return counts

    async def projected(self, ids: list[str]) -> Counter[str]:
        return await self._count("interaction", PROJECTION, "_id", ids, {})

    async def customers(self, ids: list[str]) -> Counter[str]:
        return await self._count("customer", "customers", "_id", ids, {})

    async def notifications(self, ids: list[str]) -> Counter[str]:
        return await self._count("notification", NOTIFICATIONS, "customer_id", ids, {})

    async def delivered_events(self, ids: list[str]) -> Counter[str]:
        """notification.delivered.v1 staged in the notification outbox: one per applied event."""
        return await self._count("notification", "outbox", "subject", ids, {"type": DELIVERED})

    async def sales_projected(self, ids: list[str]) -> Counter[str]:
        """Customers the sales projection knows (a deal needs its customer there)."""
        return await self._count("sales", SALES_PROJECTION, "_id", ids, {})

    async def deals(self, customer_ids: list[str]) -> Counter[str]:
        """Opportunities per customer."""
        return await self._count("sales", OPPORTUNITIES, "customerId", customer_ids, {})

    async def sales_events(self, event_type: str, customer_ids: list[str]) -> Counter[str]:
        """Events of the type the sales service staged, per customer (their subject)."""
        return await self._count("sales", "outbox", "subject", customer_ids, {"type": event_type})

    async def sales_envelopes(self, customer_ids: list[str]) -> list[dict[str, Any]]:
        """Every event the sales service staged about these customers, as it published them."""
        query = {"subject": {"$in": customer_ids}}
        docs = await self._dbs["sales"]["outbox"].find(query, {"envelope": 1}).to_list()
        return [d["envelope"] for d in docs]

    async def applied(self, service: str, event_type: str) -> Counter[str]:
        """The event ids of the type the service's consumer applied (its inbox records,
        `<consumer>:<event id>`, are committed with the change)."""
        query = {"type": event_type}
        docs = await self._dbs[service][INBOX_COLLECTION].find(query, {"_id": 1}).to_list()
        return Counter(str(d["_id"]).rsplit(":", 1)[-1] for d in docs)

    async def activations(self, customer_ids: list[str]) -> Counter[str]:
        """Versions per customer whose change moved its stage to ACTIVE."""
        counts: Counter[str] = Counter()
        for start in range(0, len(customer_ids), CHUNK):
            query = {"customer_id": {"$in": customer_ids[start : start + CHUNK]}}
            cursor = self._dbs["customer"][VERSIONS].find(query, {"customer_id": 1, "changes": 1})
            for doc in await cursor.to_list():
                changes = doc.get("changes") or []
                if any(c.get("field") == "stage" and c.get("after") == "ACTIVE" for c in changes):
                    counts[str(doc["customer_id"])] += 1
        return counts

    async def won_on_timeline(self, deal_ids: list[str]) -> Counter[str]:
        """OPPORTUNITY_WON entries on the interaction timeline, per deal."""
        extra = {"kind": "OPPORTUNITY_WON"}
        return await self._count("interaction", TIMELINE, "refId", deal_ids, extra)

    async def wait_all(
        self, probe: Any, ids: list[str], timeout: float, interval: float = 0.5
    ) -> tuple[Counter[str], float]:
        """Poll until every id is counted at least once; returns the counts and the seconds."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        while True:
            counts: Counter[str] = await probe(ids)
            if all(counts[i] >= 1 for i in ids) or loop.time() - began > timeout:
                return counts, loop.time() - began
            await asyncio.sleep(interval)


def missing_and_duplicated(ids: Iterable[str], counts: Counter[str]) -> tuple[int, int]:
    ids = list(ids)
    return sum(1 for i in ids if counts[i] == 0), sum(counts[i] - 1 for i in ids if counts[i] > 1)


def assigned_event(customer_id: str, owner: str, name: str = "") -> Any:
    """A customer.assigned.v1 as the customer service emits it (what notification consumes)."""
    from crm_kit.events import CloudEvent

    return CloudEvent(
        type="customer.assigned.v1",
        source="crm/customer",
        subject=customer_id,
        data={
            "customer": {"id": customer_id, "displayName": name or customer_id, "version": 1},
            "ownerId": owner,
            "previousOwnerId": None,
            "actorId": "fault-admin",
        },
    )


async def wait_until(condition: Any, timeout: float, interval: float = 0.1) -> bool:
    """Poll `condition()` (sync or async) until true; returns whether it became true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return True
        if loop.time() > deadline:
            return False
        await asyncio.sleep(interval)
