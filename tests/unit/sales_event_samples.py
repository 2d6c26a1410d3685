"""The sales service's published events as the AsyncAPI test checks them: one real payload of
each, built by the service's own payload functions from sample deals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm_kit.assignment_rules import Strategy
from crm_sales.assignment.rules_model import (
    AssignedBy,
    Choice,
    OpportunityRule,
    OwnerReason,
    payload_of,
)
from crm_sales.events import (
    opportunity_assigned,
    opportunity_created,
    opportunity_lost,
    opportunity_merged,
    opportunity_stage_changed,
    opportunity_stalled,
    opportunity_updated,
    opportunity_won,
    snapshots,
)
from crm_sales.history.model import MoveKind, StageChange
from crm_sales.merge.model import MergeField
from crm_sales.money.model import Conversion, money
from crm_sales.opportunities.values import Closing, Opportunity, Status
from crm_sales.pipelines.model import ForecastCategory, Pipeline, Stage, StageKind
from crm_sales.shared.clock import iso
from crm_sales.stalls.model import Stay, Watched, stall_of

T = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

DEAL = Opportunity(
    id="o1", customer_id="c1", name="华东区 CRM 升级", owner_id="bob", team="east",
    pipeline_id="p1", pipeline_version=2, stage_id="won", status=Status.WON,
    stage_entered_at=T, created_by="bob", created_at=T, updated_at=T, version=4,
    currency="USD", amount=money(Decimal("1000.00"), "USD"), expected_close_date=date(2026, 12, 31),
    source="展会", tags=("续约",), custom_fields={"level": "A"},
)  # fmt: skip
BOOKED = Conversion(
    money(Decimal("1000.00"), "USD"), money(Decimal("7200.00"), "CNY"), Decimal("7.2"),
    date(2026, 11, 1),
)  # fmt: skip
CLOSING = Closing(reason="PRICE", note="客户 13800138000 说太贵", at=T, by="bob")
MOVE = StageChange(
    opportunity_id="o1", pipeline_id="p1", pipeline_version=2, kind=MoveKind.WON,
    from_stage_id="proposal", to_stage_id="won", at=T, actor_id="bob", reason="PRICE",
)  # fmt: skip
SNAPSHOT = snapshots.opportunity(DEAL, 100, BOOKED)
IN_BASE = snapshots.opportunity(
    replace(DEAL, currency="CNY", amount=None, status=Status.OPEN), 10, None
)
PROPOSAL = Stage(
    "proposal", "方案报价", "Proposal", StageKind.OPEN, 50, ForecastCategory.BEST_CASE,
    stall_days=10,
)  # fmt: skip
STALLED = replace(DEAL, stage_id="proposal", status=Status.OPEN)  # in proposal since T
STALL = stall_of(
    Stay("o1", "proposal", T),
    Watched(Pipeline("p1", "标准销售流程", "Standard", (PROPOSAL,), 2), PROPOSAL),
    T + timedelta(days=10, minutes=3),
)
RULE_CHOICE = Choice(
    "erin",
    "east",
    OwnerReason.RULE,
    OpportunityRule("r1", "华东大单", "east", Strategy.ROUND_ROBIN),
)
SALES_PRODUCED: list[tuple[str, str, dict[str, Any]]] = [
    ("opportunity.created.v1", "crm/sales", opportunity_created.payload(IN_BASE, "bob")),
    (
        "opportunity.updated.v1",
        "crm/sales",
        opportunity_updated.payload(SNAPSHOT, ["amount", "expectedCloseDate"], "bob"),
    ),
    (
        "opportunity.stage_changed.v1",
        "crm/sales",
        opportunity_stage_changed.payload(SNAPSHOT, MOVE),
    ),
    (
        "opportunity.won.v1",
        "crm/sales",
        opportunity_won.payload(SNAPSHOT, CLOSING, snapshots.conversion(BOOKED)),
    ),
    ("opportunity.lost.v1", "crm/sales", opportunity_lost.payload(IN_BASE, CLOSING, None)),
    (
        "opportunity.stalled.v1",
        "crm/sales",
        opportunity_stalled.payload(snapshots.opportunity(STALLED, 50, None), STALL),
    ),
    (
        "opportunity.assigned.v1",
        "crm/sales",
        opportunity_assigned.payload(
            snapshots.opportunity(replace(DEAL, owner_id="dan", team=None), 100, BOOKED),
            "bob",
            "east",
            "carol",
        ),
    ),
    (
        "opportunity.assigned.v1",
        "crm/sales",
        opportunity_assigned.payload(
            snapshots.opportunity(replace(DEAL, owner_id="erin"), 100, BOOKED),
            "bob",
            "east",
            "carol",
            batch={"kind": opportunity_assigned.BULK_ASSIGN, "id": "b1", "startedAt": iso(T)},
        ),
    ),
    (
        "opportunity.assigned.v1",
        "crm/sales",
        opportunity_assigned.payload(
            snapshots.opportunity(replace(DEAL, owner_id="erin", version=2), 100, BOOKED),
            "bob",
            "east",
            "bob",
            assigned_by=payload_of(AssignedBy.of("o1", RULE_CHOICE, actor="bob", at=T)),
        ),
    ),
    (
        "opportunity.merged.v1",
        "crm/sales",
        opportunity_merged.payload(
            IN_BASE,
            snapshots.opportunity(replace(DEAL, id="o2", status=Status.MERGED), 0, BOOKED),
            sorted([MergeField.NEXT_STEP, MergeField.AMOUNT]),
            "alice",
        ),
    ),
]
