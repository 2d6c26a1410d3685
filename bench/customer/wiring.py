"""The customer service's write path as `crm_customer.app` wires it, for the benchmarks: the
audited unit of work (a hash-chained audit record per change), custom field definitions,
assignment rules (owner by rule when a row names none) and the fuzzy-name lookups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient

from crm_customer.app import wire
from crm_customer.assignment.model import Rule, Strategy
from crm_customer.assignment.store import RuleRepository
from crm_customer.customers.store import CustomerRepository
from crm_customer.graphql.context import Deps
from crm_customer.indexes import ALL_INDEXES
from crm_customer.staff.model import Staff
from crm_customer.staff.store import StaffRepository
from crm_kit.audit.scope import AuditedUnitOfWork
from crm_kit.audit.store import AuditLog
from crm_kit.mongo import ensure_indexes
from crm_kit.uow import Transaction, UnitOfWork

RULE_TEAM = "bench-team"


async def service_commands(
    client: AsyncMongoClient[dict[str, Any]], db: Any, repo: CustomerRepository
) -> Deps:
    """The service's use cases (`crm_customer.app.wire`) over an audited unit of work, plus
    five SALES staff and a ROUND_ROBIN rule for every province (rows without an owner get
    one)."""
    await ensure_indexes(db, ALL_INDEXES)
    uow = AuditedUnitOfWork(
        UnitOfWork(client, db, "crm/customer"), AuditLog(client, db, "customer")
    )
    staff, rules = StaffRepository(db), RuleRepository(db)
    now = datetime.now(UTC)
    for i in range(5):
        member = Staff(f"rr{i}", f"RR{i}", None, RULE_TEAM, ["SALES"], True, now, now, "bench")
        await staff.put(member)
    rule = Rule("bench-rule", "all provinces", RULE_TEAM, Strategy.ROUND_ROBIN, 1)

    async def save(tx: Transaction) -> None:
        await rules.put(rule, tx.session)

    await uow.run(save)
    return wire(db, uow, repo.protector)
