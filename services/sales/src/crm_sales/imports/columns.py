"""The columns of the opportunity import template (pure), each with a key, zh and en headers and
whether it is required; a header row is read against them by the kit
(`crm_kit.imports.columns`: Chinese or English header, key or API name, any order and case).

The customer is named by its id (a name is no key: two customers may share one); the pipeline and
the stage by id or by their Chinese or English name. `external_key` is the deal's key in the
system the file comes from: a key imported once is recognised in every later import (a
duplicate, or, with UPSERT by EXTERNAL_KEY, the deal to update).
"""

from __future__ import annotations

from crm_kit.imports.columns import Column, ColumnTable

EXTERNAL_KEY_MAX_CHARS = 100

COLUMNS: tuple[Column, ...] = (
    Column("customer_id", "客户ID", "Customer ID", True, "客户的 ID", "The customer's id"),
    Column("name", "商机名称", "Name", True, "1–200 个字符", "1 to 200 characters"),
    Column("pipeline", "销售流程", "Pipeline", True, "流程 ID 或名称", "Pipeline id or name"),
    Column(
        "stage", "阶段", "Stage", hint_zh="阶段 ID 或名称；不填为第一阶段",
        hint_en="Stage id or name; the first stage when empty",
    ),
    Column("amount", "金额", "Amount", hint_zh="如 120000.00", hint_en="A decimal, e.g. 120000.00"),
    Column(
        "currency", "币种", "Currency", hint_zh="ISO 4217，如 CNY；不填为本位币",
        hint_en="ISO 4217, e.g. CNY; the base currency when empty",
    ),
    Column("expected_close_date", "预计成交日期", "Expected close date", hint_en="YYYY-MM-DD"),
    Column(
        "probability", "赢率", "Probability", hint_zh="0–100 的整数；不填用阶段默认值",
        hint_en="A whole percent 0–100; the stage's default when empty",
    ),
    Column(
        "owner_id", "负责人", "Owner", hint_zh="员工 ID；不填为导入人",
        hint_en="Staff id; the importer when empty",
    ),
    Column("team", "团队", "Team"),
    Column("next_step", "下一步", "Next step"),
    Column("source", "来源", "Source"),
    Column("tags", "标签", "Tags", hint_zh="多个用分号分隔", hint_en="Separated by ;"),
    Column("competitors", "竞争对手", "Competitors", hint_zh="多个用分号分隔"),
    Column(
        "contacts", "联系人", "Contacts", hint_zh="姓名:角色，多个用分号分隔（如 王总:决策人）",
        hint_en="name:ROLE separated by ; (e.g. Wang:DECISION_MAKER)",
    ),
    Column(
        "reason", "结单原因", "Closing reason", hint_zh="导入到赢单或输单阶段时填写原因代码",
        hint_en="A reason code, for a won or lost stage",
    ),
    Column("note", "结单备注", "Closing note", hint_en="For a won or lost stage"),
    Column(
        "external_key", "外部编号", "External key", hint_zh="来源系统中的编号：重复导入不重复创建",
        hint_en="The deal's key in its source system: never imported twice",
    ),
    Column("id", "商机ID", "Opportunity ID", hint_zh="按 ID 更新时填写", hint_en="Upsert by id"),
)  # fmt: skip

TABLE = ColumnTable.build(
    COLUMNS,
    (
        ("customer", "customer_id"), ("客户", "customer_id"), ("客户编号", "customer_id"),
        ("pipeline id", "pipeline"), ("pipeline_id", "pipeline"), ("流程", "pipeline"),
        ("stage id", "stage"), ("stage_id", "stage"), ("商机阶段", "stage"),
        ("opportunity name", "name"), ("商机", "name"), ("预计签约日期", "expected_close_date"),
        ("owner", "owner_id"), ("external id", "external_key"), ("外部ID", "external_key"),
    ),
)  # fmt: skip


def header_of(key: str) -> str:
    """A column's header in the caller's language; a field no column holds (a requirement of
    the stage gate such as `lineItems` or `customFields.<key>`) by its API name."""
    return TABLE.header_of(key) or key
