"""Opportunity import jobs (pure): the kit's job with the column an UPSERT names its deals by,
and the texts of the codes a row can be reported with.

A row is refused with the codes of the opportunity use cases (the stage gate's REQUIRED naming
each missing field, INVALID_CURRENCY, INVALID_DATE, …) or with the import's own: a file problem,
a pipeline or stage name that names none or several, an external key already imported
(DUPLICATE, DUPLICATE_SKIPPED, DUPLICATE_IN_FILE), an UPSERT target of another customer or
pipeline. The import's own codes join the service's catalogue; the use cases' codes keep their
catalogue texts (which repeat the raised message in English), and the report, which has only
the code, takes its English text from `REPORT_TEXTS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crm_kit.i18n import RAISED
from crm_kit.imports.messages import FILE_MESSAGES, ROW_MESSAGES
from crm_kit.imports.model import Job
from crm_sales.i18n import CATALOG


class UpsertKey(StrEnum):
    ID = "ID"
    EXTERNAL_KEY = "EXTERNAL_KEY"


# The column holding each upsert key.
UPSERT_COLUMN = {UpsertKey.ID: "id", UpsertKey.EXTERNAL_KEY: "external_key"}


@dataclass(frozen=True, slots=True)
class OpportunityImportJob(Job):
    """An opportunity import: the kit's job and the column its UPSERT rows name deals by."""

    upsert_key: UpsertKey | None = None


# The import's own codes (rows and files); registered in the service's catalogue.
IMPORT_MESSAGES: dict[str, tuple[str, str]] = {
    **FILE_MESSAGES,
    "DUPLICATE": (
        "该外部编号的商机已导入过",
        "An opportunity with this external key was already imported",
    ),
    "DUPLICATE_SKIPPED": (
        "该外部编号的商机已导入过，已跳过",
        "An opportunity with this external key was already imported; skipped",
    ),
    "DUPLICATE_IN_FILE": ROW_MESSAGES["DUPLICATE_IN_FILE"],
    "AMBIGUOUS_NAME": (
        "该名称对应多个销售流程或阶段，请改用 ID",
        "The name matches several; use the id",
    ),
    "NOT_FOUND": ("未找到该商机", "No opportunity with this id"),
    "CUSTOMER_MISMATCH": ("与已有商机的客户不同", "The customer differs from the opportunity's"),
    "PIPELINE_MISMATCH": (
        "与已有商机的销售流程不同",
        "The pipeline differs from the opportunity's",
    ),
    "STALE": ("商机同时被他人修改", "The opportunity was changed at the same time"),
    "ERROR": ROW_MESSAGES["ERROR"],
}
CATALOG.register(IMPORT_MESSAGES)  # file problems are also raised as field errors by the API

# The report's texts of the use cases' codes (their catalogue texts repeat the raised message
# in English, and a report keeps only the code).
REPORT_TEXTS: dict[str, tuple[str, str]] = {
    "REQUIRED": ("此项为必填项（目标阶段要求填写）", "Required (the stage requires it)"),
    "TOO_LONG": ("内容过长", "Too long"),
    "TOO_MANY": ("条目过多", "Too many entries"),
    "INVALID": ("格式无效", "Not a valid value"),
    "OUT_OF_RANGE": ("超出允许范围", "Out of range"),
    "INVALID_DATE": ROW_MESSAGES["INVALID_DATE"],
    "INVALID_CURRENCY": ("币种无效，请使用 ISO 4217 代码（如 CNY）", "Not a supported currency"),
    "FLOAT_NOT_ALLOWED": ("金额格式无效", "Not a valid amount"),
    "NOT_FINITE": ("金额格式无效", "Not a valid amount"),
    "NEGATIVE": ("金额不能为负数", "The amount cannot be negative"),
    "PRECISION": ("小数位数超出币种允许的精度", "Too many decimal places for the currency"),
    "UNKNOWN_CUSTOMER": ("客户不存在或已被删除", "No such customer (unknown or erased)"),
    "UNKNOWN_PIPELINE": ("销售流程不存在", "No such pipeline"),
    "UNKNOWN_STAGE": ("该销售流程中没有此阶段", "The pipeline has no such stage"),
    "UNKNOWN_REASON": ("原因不在管理员设定的列表中", "Not one of the ADMIN's reasons"),
    "NOT_APPLICABLE": ("仅在赢单或输单阶段填写", "Given only for a won or lost stage"),
    "CLOSED": ("商机已赢单或输单，请先重新打开", "The deal is won or lost; reopen it first"),
    "NOT_OPEN": ("已赢单或输单的商机不能修改赢率", "A closed deal's probability is fixed"),
    "SET_BY_LINE_ITEMS": ("金额由明细行合计得出", "The amount is the line items' total"),
    "CURRENCY_MISMATCH": ("币种与明细行不一致", "The currency differs from the line items'"),
    "NO_EXCHANGE_RATE": ("该日期没有生效的汇率", "No exchange rate for that day"),
    "FORBIDDEN": ROW_MESSAGES["FORBIDDEN"],
}


def texts(code: str) -> tuple[str, str]:
    """(zh, en) message of a row error code."""
    found = IMPORT_MESSAGES.get(code) or REPORT_TEXTS.get(code) or CATALOG.entry(code)
    if found is None:
        return (code, code)
    zh, en = found
    return zh, code if en == RAISED else en
