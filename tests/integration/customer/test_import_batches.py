"""Imports write a batch of rows in one transaction with the semantics of one create per row:
row-level errors and in-file duplicates, one event, version and audit record per customer, a
verifiable audit chain, rule owners spread over the batch, fuzzy-name pairs within the batch,
a cost per batch that does not grow with its rows, and no row lost when a concurrent write
races the batch (it falls back to one transaction per row)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from crm_customer.assignment.model import Rule, Strategy
from crm_customer.assignment.service import Assigner
from crm_customer.assignment.store import RuleRepository
from crm_customer.catalog.queries import CatalogQueries
from crm_customer.customers.batch import BatchCreate, Item
from crm_customer.customers.model import Customer, NewCustomer
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.service import CustomerService
from crm_customer.customers.store import CustomerRepository
from crm_customer.customers.values import Address, CustomerKind
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.duplicates.store import DuplicateRepository
from crm_customer.history.store import HistoryRepository
from crm_customer.indexes import ALL_INDEXES
from crm_customer.protection.crypto import DataProtector
from crm_customer.staff.model import Staff
from crm_customer.staff.store import StaffRepository
from crm_kit.audit.scope import AuditedUnitOfWork
from crm_kit.audit.store import AUDIT_LOG, AuditLog
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Conflict, CrmError
from crm_kit.mongo import ensure_indexes
from crm_kit.outbox import OUTBOX_INDEXES
from crm_kit.uow import Transaction, UnitOfWork
from tests.harness import serve_service
from tests.integration.customer.test_import_export import Service
from tests.support import unique

pytestmark = pytest.mark.integration

HEADER = "客户类型,客户名称,手机号码,身份证号码,电子邮箱,省份,负责人\n"
ID_CARD = "11010519491231002X"
WRITTEN = ("customers", "customer_match_keys", "customer_versions", "idempotency", "audit_log")


class WriteCounter(monitoring.CommandListener):
    """Commands on the collections an imported customer is written to."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        if target in WRITTEN:
            self.counts[f"{event.command_name} {target}"] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture(scope="module")
async def counted(mongodb_uri: str, amqp_url: str) -> AsyncIterator[tuple[Service, WriteCounter]]:
    counter = WriteCounter()
    async with serve_service(
        "customer", mongodb_uri, amqp_url, http_timeout=60, mongo_listeners=[counter]
    ) as handle:
        yield Service.of(handle), counter


async def test_a_batch_with_a_bad_row_and_a_repeat_writes_each_good_row_once_with_its_trail(
    counted: tuple[Service, WriteCounter],
) -> None:
    svc, _ = counted
    await svc.run(HEADER + "个人,老客户,13811138000,,,北京市,sam\n")
    text = HEADER + (
        f"个人,批量一,13811138001,{ID_CARD},p1@example.com,北京市,sam\n"  # row 2
        "个人,批量二,13811138002,,,上海市,\n"  # row 3
        "个人,坏号码,12345,,,上海市,sam\n"  # row 4: invalid phone
        "个人,重复行,13811138002,,,上海市,sam\n"  # row 5: repeats row 3's phone
        "个人,重复库,13811138000,,,北京市,sam\n"  # row 6: repeats the stored customer
        "企业,批量三,,,p3@example.com,浙江省,olga\n"  # row 7
    )
    done = await svc.run(text)
    assert (done["processed"], done["created"], done["failed"]) == (6, 3, 3), done
    by_row = {e["row"]: e for e in done["errors"]}
    assert by_row[4]["code"] == "INVALID_PHONE" and by_row[4]["column"] == "手机号码"
    second = await svc.db["customers"].find_one({"name": "批量二"})
    assert second is not None
    assert by_row[5]["code"] == "DUPLICATE_IN_FILE" and by_row[5]["customerId"] == second["_id"]
    stored = await svc.db["customers"].find_one({"name": "老客户"})
    assert stored is not None
    assert by_row[6]["code"] == "DUPLICATE" and by_row[6]["customerId"] == stored["_id"]
    names = ["批量一", "批量二", "批量三"]
    made = await svc.db["customers"].find({"name": {"$in": names}}).to_list()
    assert sorted(c["name"] for c in made) == sorted(names)  # each once, the bad ones never
    assert await svc.db["customers"].count_documents({"name": {"$in": ["坏号码", "重复行"]}}) == 0
    ids = [c["_id"] for c in made]
    # per customer: one created event, one assigned event if it has an owner, version 1
    created = (
        await svc.db["outbox"]
        .find({"type": "customer.created.v1", "subject": {"$in": ids}})
        .to_list()
    )
    assert sorted(e["subject"] for e in created) == sorted(ids)
    assigned = (
        await svc.db["outbox"]
        .find({"type": "customer.assigned.v1", "subject": {"$in": ids}})
        .to_list()
    )
    owned = sorted(c["_id"] for c in made if c.get("owner_id"))
    assert sorted(e["subject"] for e in assigned) == owned and len(owned) == 2
    versions = await svc.db["customer_versions"].find({"customer_id": {"$in": ids}}).to_list()
    assert sorted((v["customer_id"], v["version"], v["action"]) for v in versions) == sorted(
        (i, 1, "CREATED") for i in ids
    )
    records = (
        await svc.db[AUDIT_LOG]
        .find({"action": "customer.created", "target.id": {"$in": ids}})
        .to_list()
    )
    assert sorted(r["target"]["id"] for r in records) == sorted(ids)
    assert all(ID_CARD not in str(r) and "13811138001" not in str(r) for r in records)
    # match keys registered: the phone of row 2 now refuses a create
    again = await svc.run(HEADER + "个人,再来,13811138001,,,北京市,sam\n")
    assert again["errors"][0]["code"] == "DUPLICATE"
    assert again["errors"][0]["customerId"] == next(c["_id"] for c in made if c["name"] == "批量一")
    # the tamper-evident chain still verifies with the batch's records in it
    log = AuditLog(svc.db.client, svc.db, "customer")
    result = await log.verify()
    assert result.ok, result.broken
    assert result.checked >= len(ids) + 3


async def test_upsert_row_naming_a_customer_an_earlier_row_of_the_batch_created_updates_it(
    counted: tuple[Service, WriteCounter],
) -> None:
    svc, _ = counted
    text = "客户类型,客户名称,手机号码,标签,省份\n" + (
        "个人,先建,13822138000,甲,广东省\n"  # created
        "个人,别人,13822138001,,广东省\n"  # created
        "个人,先建,13822138000,乙,广东省\n"  # the same phone: updates row 2's customer
    )
    done = await svc.run(text, mode="UPSERT", key="PHONE")
    assert (done["created"], done["updated"], done["failed"]) == (2, 1, 0), done
    made = await svc.db["customers"].find({"name": "先建"}).to_list()
    assert len(made) == 1 and made[0]["tags"] == ["乙"] and made[0]["version"] == 2


async def test_a_batch_costs_the_same_commands_for_10_rows_as_for_40(
    counted: tuple[Service, WriteCounter],
) -> None:
    svc, counter = counted

    async def cost(rows: int, base: int) -> Counter[str]:
        text = HEADER + "".join(
            f"个人,成本{base + i},1390013{base + i:04d},,,北京市,sam\n" for i in range(rows)
        )
        counter.counts.clear()
        done = await svc.run(text)
        assert done["created"] == rows, done
        return Counter(counter.counts)

    await cost(1, 0)  # the name block "成本" exists before both measured imports
    ten, forty = await cost(10, 1000), await cost(40, 2000)
    assert ten == forty, (ten, forty)  # one batch: a fixed number of writes
    assert ten["insert customers"] == 1 and ten["insert customer_versions"] == 1


# --- the batch use case against the embedded MongoDB -----------------------------------------

ACTOR = Principal("imp", "imp", frozenset({Role.ADMIN}), "east")


@dataclass
class Wiring:
    db: Any
    repo: CustomerRepository
    commands: CustomerService
    rules: RuleRepository

    @property
    def batch(self) -> BatchCreate:
        return BatchCreate(self.commands)


@pytest.fixture
async def wiring(mongodb_uri: str) -> AsyncIterator[Wiring]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    db = client[unique("batch")]
    await ensure_indexes(db, [OUTBOX_INDEXES, *ALL_INDEXES])
    keys = DataProtector.from_env()
    repo = CustomerRepository(db, keys)
    uow = AuditedUnitOfWork(
        UnitOfWork(client, db, "crm/customer"), AuditLog(client, db, "customer")
    )
    staff, lookups, rules = StaffRepository(db), CustomerQueries(db, keys), RuleRepository(db)
    commands = CustomerService(
        uow,
        repo,
        HistoryRepository(db, keys),
        DuplicateDetector(DuplicateRepository(db), keys, names=lookups),
        staff=staff,
        definitions=CatalogQueries(db),
        assigner=Assigner(rules, staff, lookups),
    )
    yield Wiring(db, repo, commands, rules)
    await client.drop_database(db.name)
    await client.close()


def person(name: str, phone: str | None = None, province: str = "北京市") -> NewCustomer:
    return NewCustomer(
        kind=CustomerKind.INDIVIDUAL,
        name=name,
        phones=[phone] if phone else [],
        addresses=[Address(province=province)],
    )


async def test_round_robin_owners_spread_over_a_batch_and_the_counter_moves_once_by_its_size(
    wiring: Wiring,
) -> None:
    now = datetime.now(UTC)
    for sid in ("n1", "n2", "n3"):
        await wiring.commands.staff.put(  # type: ignore[union-attr]
            Staff(sid, sid, None, "north", ["SALES"], True, now, now, "test")
        )

    async def save(tx: Transaction) -> None:
        await wiring.rules.put(Rule("r1", "北京", "north", Strategy.ROUND_ROBIN, 1), tx.session)

    await wiring.commands.uow.run(save)
    items = [Item(person(f"轮转{i}", f"1370013{7100 + i}")) for i in range(6)]
    items.insert(3, Item(person("无效", "12345")))  # refused: takes no turn
    outcomes = await wiring.batch.create_many(ACTOR, items)
    made = [o for o in outcomes if isinstance(o, Customer)]
    assert isinstance(outcomes[3], BadUserInput) and len(made) == 6
    assert Counter(c.owner_id for c in made) == {"n1": 2, "n2": 2, "n3": 2}
    assert [c.owner_id for c in made] == ["n1", "n2", "n3", "n1", "n2", "n3"]
    counter = await wiring.db["assignment_counters"].find_one({"_id": "r1"})
    assert counter is not None and counter["n"] == 6
    assigned = await wiring.db["outbox"].count_documents({"type": "customer.assigned.v1"})
    assert assigned == 6


async def test_similar_names_within_a_batch_and_with_stored_customers_become_pairs(
    wiring: Wiring,
) -> None:
    enterprise = CustomerKind.ENTERPRISE
    beijing = [Address(province="北京市")]
    stored = await wiring.commands.create(
        ACTOR, NewCustomer(kind=enterprise, name="北京云帆科技有限公司", addresses=beijing)
    )
    outcomes = await wiring.batch.create_many(
        ACTOR,
        [
            Item(
                NewCustomer(kind=enterprise, name="云帆科技（北京）有限责任公司", addresses=beijing)
            ),
            Item(NewCustomer(kind=enterprise, name="北京云帆贸易有限公司", addresses=beijing)),
            Item(NewCustomer(kind=enterprise, name="星河贸易有限公司", addresses=beijing)),
        ],
    )
    a, b, other = (o for o in outcomes if isinstance(o, Customer))
    pairs = await wiring.db["duplicate_pairs"].find({}).to_list()
    found = {frozenset(p["ids"]): (p["rule"], p["score"]) for p in pairs}
    assert found == {
        frozenset({stored.id, a.id}): ("NAME_SIMILAR", 0.55),
        frozenset({stored.id, b.id}): ("NAME_SIMILAR", 0.55),
        frozenset({a.id, b.id}): ("NAME_SIMILAR", 0.55),
    }
    assert other.id not in {i for p in pairs for i in p["ids"]}


async def test_a_concurrent_create_of_a_batch_key_falls_back_to_one_create_per_row(
    wiring: Wiring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A customer with row 1's phone is created after the batch's duplicate check and before
    its transaction: the transaction sees the key moved, writes nothing, and every row goes
    through createCustomer on its own — row 1 is refused naming the newcomer, none is lost."""
    batch = wiring.batch
    assign = BatchCreate._assign
    racer: list[Customer] = []

    async def racing_assign(self: BatchCreate, drafts: list[Any]) -> list[Any]:
        if not racer:
            racer.append(await wiring.commands.create(ACTOR, person("抢先", "13700137200")))
        return await assign(self, drafts)

    monkeypatch.setattr(BatchCreate, "_assign", racing_assign)
    items = [
        Item(person("批次零", "13700137201"), "k0"),
        Item(person("批次一", "13700137200"), "k1"),
        Item(person("批次二", "13700137202"), "k2"),
    ]
    outcomes = await batch.create_many(ACTOR, items)
    first, refused, last = outcomes
    assert isinstance(first, Customer) and isinstance(last, Customer)
    assert isinstance(refused, Conflict)
    assert refused.extensions["conflictingId"] == racer[0].id
    names = sorted(d["name"] for d in await wiring.db["customers"].find({}).to_list())
    assert names == sorted(["抢先", "批次零", "批次二"])
    # the same keys again: the first results, nothing created twice
    monkeypatch.setattr(BatchCreate, "_assign", assign)
    replay = await batch.create_many(ACTOR, items)
    assert [getattr(o, "id", None) for o in replay] == [first.id, None, last.id]
    assert await wiring.db["customers"].count_documents({}) == 3
    assert await wiring.db["outbox"].count_documents({"type": "customer.created.v1"}) == 3


async def test_a_concurrent_claim_of_an_idempotency_key_answers_with_the_first_result(
    wiring: Wiring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard insert of the batch fails with a duplicate key (a retry of row 0 won): the
    batch falls back, row 0 gets the winner's customer, the other rows are created."""
    assign = BatchCreate._assign
    winner: list[Customer] = []
    plain = NewCustomer(kind=CustomerKind.INDIVIDUAL, name="无键客户")  # no match keys at all

    async def racing_assign(self: BatchCreate, drafts: list[Any]) -> list[Any]:
        if not winner:
            winner.append(await wiring.commands.create(ACTOR, plain, idempotency_key="same"))
        return await assign(self, drafts)

    monkeypatch.setattr(BatchCreate, "_assign", racing_assign)
    outcomes = await wiring.batch.create_many(
        ACTOR, [Item(plain, "same"), Item(replace(plain, name="另一位"), "other")]
    )
    assert isinstance(outcomes[0], Customer) and outcomes[0].id == winner[0].id
    assert isinstance(outcomes[1], Customer) and outcomes[1].name == "另一位"
    assert await wiring.db["customers"].count_documents({}) == 2
    assert not any(isinstance(o, CrmError) for o in outcomes)
