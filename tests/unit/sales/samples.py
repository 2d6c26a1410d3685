"""Sample pipeline, catalogue and opportunities shared by the sales unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_sales.opportunities.model import Moved, open_opportunity
from crm_sales.opportunities.values import Changes, NewOpportunity, Opportunity
from crm_sales.pipelines.model import (
    ForecastCategory,
    Pipeline,
    PipelineDraft,
    StageDraft,
    StageKind,
    define,
)
from crm_sales.products.model import (
    NewProduct,
    PriceBook,
    Product,
    define_price_book,
    define_product,
    set_list_price,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = "staff-alice"


def stages() -> tuple[StageDraft, ...]:
    """Lead → qualified → proposal (amount and close date) → negotiation (decision maker) →
    won / lost."""
    return (
        StageDraft("lead", "线索", "Lead", StageKind.OPEN, 10, stall_days=14),
        StageDraft("qualified", "已确认需求", "Qualified", StageKind.OPEN, 25),
        StageDraft(
            "proposal",
            "方案报价",
            "Proposal",
            StageKind.OPEN,
            50,
            ForecastCategory.BEST_CASE,
            ("amount", "expectedCloseDate"),
            stall_days=10,
        ),
        StageDraft(
            "negotiation",
            "商务谈判",
            "Negotiation",
            StageKind.OPEN,
            80,
            ForecastCategory.COMMIT,
            ("decisionMaker",),
        ),
        StageDraft("won", "赢单", "Won", StageKind.WON, 100),
        StageDraft("lost", "输单", "Lost", StageKind.LOST, 0, required_fields=("note",)),
    )


def pipeline() -> Pipeline:
    return define(PipelineDraft("标准销售流程", "Standard", stages()), id="pl-standard")


def product(code: str = "CRM-PRO", *, active: bool = True, id: str = "prod-1") -> Product:
    return define_product(NewProduct(code, "客户管理专业版", "CRM Pro", "套", active), id=id)


def book(*products_and_prices: tuple[Product, str], currency: str = "CNY") -> PriceBook:
    priced = define_price_book("标准价", currency, id=f"pb-{currency.lower()}")
    for item, price in products_and_prices:
        priced = set_list_price(priced, item, price)
    return priced


def opened(changes: Changes | None = None, *, stage_id: str | None = None) -> Moved:
    command = NewOpportunity(
        customer_id="cust-1",
        name="华东区 CRM 升级",
        owner_id=ALICE,
        pipeline_id="pl-standard",
        team="east",
        stage_id=stage_id,
        changes=changes or Changes(),
    )
    return open_opportunity(command, id="opp-1", pipeline=pipeline(), actor=ALICE, now=NOW)


def opportunity(changes: Changes | None = None, *, stage_id: str | None = None) -> Opportunity:
    return opened(changes, stage_id=stage_id).opportunity
