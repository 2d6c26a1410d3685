"""Sales writes under faults: customers the sales projection knows, a pipeline, and deals
opened and won through the gateway by a well-behaved client (createOpportunity with an
idempotencyKey; the move to won retried with the version the deal was opened at, a CONFLICT
read back); and what their events left in each service's database, counted per deal."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.faults.checks import Store, wait_until
from tests.faults.client import (
    ADMIN,
    LoadStats,
    WriteOutcome,
    create_customers,
    idempotent_write,
    retryable,
)
from tests.faults.report import ScenarioResult

CREATED, WON = "opportunity.created.v1", "opportunity.won.v1"
STAGES = [
    {"id": "open", "nameZh": "跟进", "nameEn": "Open", "kind": "OPEN", "probability": 20},
    {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
    {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0},
]
PIPELINE = """mutation($i: PipelineInput!, $k: String) {
  createPipeline(input: $i, idempotencyKey: $k) { pipeline { id } } }"""
CREATE_OPPORTUNITY = """mutation Create($input: CreateOpportunityInput!) {
  createOpportunity(input: $input) { opportunity { id version } } }"""
MOVE = """mutation Move($input: MoveOpportunityInput!) {
  moveOpportunity(input: $input) { opportunity { id status } } }"""
STATUS = "query($id: ID!) { opportunity(id: $id) { id status } }"


@dataclass
class Deal:
    customer_id: str
    opened: WriteOutcome
    won: bool = False

    @property
    def id(self) -> str | None:
        return self.opened.result_id


@dataclass
class Sales:
    """The customers (known to the sales projection) and the pipeline deals are opened in."""

    pipeline: str
    customers: list[str]
    stats: LoadStats = field(default_factory=LoadStats)
    deals: list[Deal] = field(default_factory=list)

    @property
    def acknowledged(self) -> int:
        """Writes the system confirmed: each deal opened, each deal won."""
        return sum(d.id is not None for d in self.deals) + sum(d.won for d in self.deals)


async def _post(http: httpx.AsyncClient, url: str, query: str, variables: Any) -> Any:
    response = await http.post(
        url, json={"query": query, "variables": variables}, headers=ADMIN, timeout=15
    )
    return response.json()


async def prepare(
    http: httpx.AsyncClient, url: str, store: Store, prefix: str, count: int
) -> Sales:
    """A pipeline and `count` customers (LEAD, of one east seller), once the sales projection
    knows every one of them."""
    stages = {"nameZh": f"{prefix} 流程", "nameEn": f"{prefix} flow", "stages": STAGES}
    body = await _post(http, url, PIPELINE, {"i": stages, "k": f"{prefix}-pipeline"})
    assert "errors" not in body, body
    outcomes, stats = await create_customers(
        http, url, f"{prefix}-sales", count, concurrency=4, owner_of=lambda _: f"{prefix}-seller"
    )
    customers = [o.result_id for o in outcomes if o.result_id is not None]
    assert len(customers) == count, stats.error_codes
    known, _ = await store.wait_all(store.sales_projected, customers, timeout=120)
    assert all(known[c] == 1 for c in customers), "the sales projection lacks customers"
    return Sales(body["data"]["createPipeline"]["pipeline"]["id"], customers)


async def _status(http: httpx.AsyncClient, url: str, deal_id: str) -> str | None:
    """The deal's status as the gateway answers it; None when it cannot answer now."""
    try:
        body = await _post(http, url, STATUS, {"id": deal_id})
    except (httpx.HTTPError, ValueError):
        return None
    found = (body.get("data") or {}).get("opportunity")
    return str(found["status"]) if found else None


async def win(
    http: httpx.AsyncClient, url: str, deal_id: str, stats: LoadStats, deadline: float = 120.0
) -> bool:
    """Move the deal (at version 1: just opened) to won until confirmed; a CONFLICT means an
    earlier attempt committed, which the deal read back must show."""
    loop = asyncio.get_running_loop()
    give_up, delay, attempts = loop.time() + deadline, 0.1, 0
    move = {"id": deal_id, "stageId": "won", "reason": "PRICE", "expectedVersion": 1}
    while loop.time() < give_up:
        attempts += 1
        stats.requests += 1
        stats.retried_requests += attempts > 1
        try:
            body = await _post(http, url, MOVE, {"input": move})
        except (httpx.HTTPError, ValueError) as exc:
            stats.count_error(type(exc).__name__)
        else:
            if (body.get("data") or {}).get("moveOpportunity"):
                return True
            retry, code = retryable(body)
            stats.count_error(code)
            if code == "CONFLICT":
                status = await _status(http, url, deal_id)
                if status is not None:
                    assert status == "WON", f"{deal_id} changed by someone else: {status}"
                    return True
            elif not retry:
                raise AssertionError(f"non-retryable failure: {body}")
        await asyncio.sleep(delay * random.uniform(0.5, 1.0))
        delay = min(delay * 2, 2.0)
    return False


async def sell(
    http: httpx.AsyncClient,
    url: str,
    sales: Sales,
    prefix: str,
    *,
    concurrency: int = 4,
    progress: list[int] | None = None,
) -> None:
    """For each customer, a deal opened and then won (each counted in `progress` when
    confirmed)."""
    sales.deals = [
        Deal(c, WriteOutcome(key=f"{prefix}-deal-{i}")) for i, c in enumerate(sales.customers)
    ]
    queue: asyncio.Queue[Deal] = asyncio.Queue()
    for deal in sales.deals:
        queue.put_nowait(deal)

    async def worker() -> None:
        while not queue.empty():
            deal = queue.get_nowait()
            sales.stats.attempted += 1
            fields = {"customerId": deal.customer_id, "pipelineId": sales.pipeline}
            fields |= {
                "name": f"{prefix} 商机 {deal.opened.key}",
                "idempotencyKey": deal.opened.key,
            }
            await idempotent_write(
                http,
                url=url,
                query=CREATE_OPPORTUNITY,
                variables={"input": fields},
                field_name="createOpportunity",
                payload="opportunity",
                outcome=deal.opened,
                stats=sales.stats,
            )
            if deal.id is None:
                continue
            if progress is not None:
                progress[0] += 1
            sales.stats.attempted += 1
            deal.won = await win(http, url, deal.id, sales.stats)
            if deal.won and progress is not None:
                progress[0] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))


@dataclass(frozen=True)
class Effects:
    """What the acknowledged sales writes left: per write found, and every duplicate."""

    found: int
    duplicated: int
    problems: list[str]


async def event_ids(store: Store, customers: list[str]) -> dict[str, dict[str, str]]:
    """The ids of the opportunity.created.v1 and opportunity.won.v1 the sales service staged:
    type -> customer -> event id (one deal per customer)."""
    found: dict[str, dict[str, str]] = {CREATED: {}, WON: {}}
    for envelope in await store.sales_envelopes(customers):
        if envelope["type"] in found:
            found[envelope["type"]][str(envelope["subject"])] = str(envelope["id"])
    return found


async def wait_effects(store: Store, sales: Sales, timeout: float) -> float:
    """Seconds until every opened deal's opportunity.created.v1 is applied by the customer
    service, and every won deal's customer is ACTIVE and the deal on the timeline."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    won = [d for d in sales.deals if d.won]
    await store.wait_all(store.activations, [d.customer_id for d in won], timeout=timeout)
    await store.wait_all(store.won_on_timeline, [str(d.id) for d in won], timeout=timeout)
    opened = [d.customer_id for d in sales.deals if d.id is not None]

    async def all_applied() -> bool:
        created = (await event_ids(store, opened))[CREATED]
        applied = await store.applied("customer", CREATED)
        return all(applied[created.get(c, "")] >= 1 for c in opened)

    await wait_until(all_applied, timeout, 0.5)
    return loop.time() - began


async def effects(store: Store, sales: Sales) -> Effects:
    """Each deal opened once (one record, one opportunity.created.v1 applied by the customer
    service); each deal won once (one opportunity.won.v1, applied by customer and interaction:
    the customer ACTIVE by exactly one version, one OPPORTUNITY_WON timeline entry)."""
    customers = sales.customers
    deals = await store.deals(customers)
    created, won = (
        await store.sales_events(CREATED, customers),
        await store.sales_events(WON, customers),
    )
    events = await event_ids(store, customers)
    applied_created = await store.applied("customer", CREATED)
    applied_won = await store.applied("customer", WON)
    on_timeline_applied = await store.applied("interaction", WON)
    active = await store.activations(customers)
    timeline = await store.won_on_timeline([str(d.id) for d in sales.deals if d.id])
    found, problems = 0, []
    for deal in sales.deals:
        c = deal.customer_id
        if deal.id is not None:
            if applied_created[events[CREATED].get(c, "")] == 1:
                found += 1
            else:
                problems.append(f"{deal.id}: opportunity.created.v1 not applied by customer")
        if deal.won:
            event = events[WON].get(c, "")
            ok = applied_won[event] == 1 and on_timeline_applied[event] == 1
            ok = ok and active[c] >= 1 and timeline[str(deal.id)] >= 1
            found += ok
            if not ok:
                problems.append(f"{deal.id}: won, but not ACTIVE or not on the timeline")
    extra: Counter[str] = Counter()
    for name, counts in (("deal", deals), ("created", created), ("won", won), ("ACTIVE", active)):
        extra[name] = sum(counts[c] - 1 for c in customers if counts[c] > 1)
    extra["timeline"] = sum(n - 1 for n in timeline.values() if n > 1)
    problems += [f"{n} duplicated {name}" for name, n in extra.items() if n]
    return Effects(found, sum(extra.values()), problems)


def row(
    number: int, name: str, sales: Sales, left: Effects, *, recovery: float | None, notes: str
) -> ScenarioResult:
    """The scenario's sales row (`b`): writes attempted and confirmed, effects found."""
    return ScenarioResult(
        number,
        name,
        attempted=sales.stats.attempted,
        acknowledged=sales.acknowledged,
        found=left.found,
        lost=sales.acknowledged - left.found,
        duplicated=left.duplicated,
        recovery_seconds=recovery,
        notes=notes,
        part="b",
    )
