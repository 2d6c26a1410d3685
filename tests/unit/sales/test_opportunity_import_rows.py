"""Opportunity import rows (pure): the template's columns, a file's header, a row's cells read
as what createOpportunity takes, the use case's field paths mapped back to columns, pipelines
and stages named by id or name, and the texts every reported code has."""

from __future__ import annotations

import pytest

from crm_kit.errors import BadUserInput
from crm_kit.i18n import RAISED
from crm_kit.imports.model import RowProblem
from crm_sales.imports.columns import TABLE, header_of
from crm_sales.imports.model import IMPORT_MESSAGES, REPORT_TEXTS, texts
from crm_sales.imports.references import Pipelines
from crm_sales.imports.rows import column_of, parse_row, stage_rows
from crm_sales.opportunities.requests import ChangeRequest
from crm_sales.pipelines.model import ForecastCategory, Pipeline, Stage, StageKind
from tests.support import field_code_list

CELLS = {"customer_id": "c-1", "name": " 年度框架协议 ", "pipeline": "标准流程"}


def _stage(stage_id: str, zh: str, en: str, kind: StageKind = StageKind.OPEN) -> Stage:
    return Stage(stage_id, zh, en, kind, 10, ForecastCategory.PIPELINE)


PIPELINE = Pipeline(
    "p-std",
    "标准流程",
    "Standard",
    (_stage("lead", "线索", "Lead"), _stage("won", "赢单", "Won", StageKind.WON)),
    1,
)
OTHER = Pipeline("p-other", "渠道流程", "Channel", (_stage("lead", "线索", "Lead"),), 1)


def test_the_template_marks_required_columns_in_either_language() -> None:
    zh, en = TABLE.template_header("zh"), TABLE.template_header("en")
    assert zh[:3] == ["客户ID*", "商机名称*", "销售流程*"]
    assert en[:3] == ["Customer ID*", "Name*", "Pipeline*"]
    assert "外部编号" in zh and "External key" in en
    notes = TABLE.template_notes("en")
    assert notes[0] == ["Column", "Required", "Key", "Notes"]
    assert ["Expected close date", "no", "expectedCloseDate", "YYYY-MM-DD"] in notes


def test_a_header_may_mix_languages_keys_and_api_names() -> None:
    table = [
        (1, ["客户ID", "Name*", "pipelineId", "stage id", "expectedCloseDate", "外部编号"]),
        (2, ["c-1", "框架协议", "p-std", "lead", "2026-09-30", "ERP-1"]),
        (4, ["c-2", "续约"]),  # a short row lacks its last columns
    ]
    staged = stage_rows(table)
    assert staged[0] == {
        "row": 2,
        "cells": {
            "customer_id": "c-1", "name": "框架协议", "pipeline": "p-std", "stage": "lead",
            "expected_close_date": "2026-09-30", "external_key": "ERP-1",
        },
    }  # fmt: skip
    assert staged[1] == {"row": 4, "cells": {"customer_id": "c-2", "name": "续约"}}


def test_a_header_without_the_required_columns_is_refused_naming_them() -> None:
    with pytest.raises(BadUserInput) as exc:
        stage_rows([(1, ["商机名称", "金额", "星座"]), (2, ["x", "1", "y"])])
    assert field_code_list(exc) == ["MISSING_COLUMNS", "UNKNOWN_COLUMNS"]
    text = exc.value.field_errors[0].message
    assert "客户ID (Customer ID)" in text and "销售流程 (Pipeline)" in text


def test_a_row_reads_amounts_dates_percentages_lists_and_contacts() -> None:
    parsed = parse_row(
        CELLS | {
            "stage": "方案报价", "amount": "1,200,000.50", "currency": "usd",
            "expected_close_date": "2026年9月30日", "probability": "35%", "owner_id": "li.lei",
            "tags": "重点；续约", "competitors": "甲公司;乙公司",
            "contacts": "王总:决策人; 李工:TECHNICAL_EVALUATOR; 张三",
            "external_key": "ERP-1001", "next_step": "发送报价",
        }
    )  # fmt: skip
    assert (parsed.customer_id, parsed.name, parsed.pipeline) == ("c-1", "年度框架协议", "标准流程")
    assert parsed.stage == "方案报价" and parsed.owner_id == "li.lei"
    assert parsed.external_key == "ERP-1001" and parsed.id is None
    fields = parsed.fields
    assert fields.amount == "1200000.50" and fields.currency == "USD"
    assert fields.expected_close_date == "2026-09-30" and fields.probability == 35
    assert fields.tags == ("重点", "续约") and fields.competitors == ("甲公司", "乙公司")
    assert fields.contacts == (
        ("王总", "DECISION_MAKER"), ("李工", "TECHNICAL_EVALUATOR"), ("张三", "OTHER"),
    )  # fmt: skip
    assert fields.next_step == "发送报价"


def test_empty_cells_give_nothing_so_the_use_case_keeps_its_defaults() -> None:
    parsed = parse_row(CELLS | {"amount": " ", "stage": "", "probability": ""})
    assert parsed.fields == ChangeRequest() and parsed.stage is None
    request = parsed.create_request("p-std", None)
    assert (request.pipeline_id, request.stage_id, request.owner_id) == ("p-std", None, None)
    assert parsed.changes() == ChangeRequest(name="年度框架协议")


def test_a_bad_row_names_every_bad_column() -> None:
    with pytest.raises(BadUserInput) as exc:
        parse_row(
            {
                "customer_id": "", "name": "x", "pipeline": " ",
                "expected_close_date": "2026-02-30", "probability": "very likely",
                "external_key": "k" * 101,
            }
        )  # fmt: skip
    assert sorted((e.field, e.code) for e in exc.value.field_errors) == [
        ("customer_id", "REQUIRED"),
        ("expected_close_date", "INVALID_DATE"),
        ("external_key", "TOO_LONG"),
        ("pipeline", "REQUIRED"),
        ("probability", "INVALID"),
    ]


@pytest.mark.parametrize(
    ("path", "column"),
    [
        ("amount", "amount"),
        ("currency", "currency"),
        ("expectedCloseDate", "expected_close_date"),
        ("nextStep", "next_step"),
        ("contacts[1].role", "contacts"),
        ("decisionMaker", "contacts"),
        ("tags[0]", "tags"),
        ("customerId", "customer_id"),
        ("pipelineId", "pipeline"),
        ("stageId", "stage"),
        ("ownerId", "owner_id"),
        ("reason", "reason"),
        ("lineItems", "lineItems"),  # no column: the field's own name
        ("customFields.region", "customFields.region"),
    ],
)
def test_use_case_field_paths_map_to_columns(path: str, column: str) -> None:
    assert column_of(path) == column


def test_a_field_no_column_holds_is_reported_by_its_api_name() -> None:
    assert header_of("expected_close_date") == "预计成交日期"
    assert header_of("lineItems") == "lineItems"


def test_pipelines_and_stages_are_named_by_id_or_either_name() -> None:
    pipelines = Pipelines.of([PIPELINE, OTHER])
    assert pipelines.pipeline("p-std") is PIPELINE
    assert pipelines.pipeline(" standard ") is PIPELINE
    assert pipelines.pipeline("渠道流程") is OTHER
    assert Pipelines.stage_id(PIPELINE, "赢单") == "won"
    assert Pipelines.stage_id(PIPELINE, "LEAD") == "lead"
    assert Pipelines.stage_id(PIPELINE, None) is None


@pytest.mark.parametrize(
    ("call", "column", "code"),
    [
        (lambda p: p.pipeline("不存在"), "pipeline", "UNKNOWN_PIPELINE"),
        (lambda p: Pipelines.stage_id(PIPELINE, "谈判"), "stage", "UNKNOWN_STAGE"),
    ],
)
def test_a_name_that_names_nothing_is_refused_in_its_column(
    call: object, column: str, code: str
) -> None:
    pipelines = Pipelines.of([PIPELINE, OTHER])
    with pytest.raises(RowProblem) as exc:
        call(pipelines)  # type: ignore[operator]
    assert (exc.value.column, exc.value.code) == (column, code)


def test_a_name_that_names_several_pipelines_is_ambiguous() -> None:
    twin = Pipeline("p-twin", "标准流程", "Standard 2", PIPELINE.stages, 1)
    with pytest.raises(RowProblem) as exc:
        Pipelines.of([PIPELINE, twin]).pipeline("标准流程")
    assert (exc.value.column, exc.value.code) == ("pipeline", "AMBIGUOUS_NAME")


def test_every_code_a_row_can_be_reported_with_reads_in_chinese_and_english() -> None:
    for code in [*IMPORT_MESSAGES, *REPORT_TEXTS]:
        zh, en = texts(code)
        assert any("\u4e00" <= c <= "\u9fff" for c in zh), code
        assert en.strip() and en != RAISED, code
    assert texts("NO_SUCH_CODE") == ("NO_SUCH_CODE", "NO_SUCH_CODE")
