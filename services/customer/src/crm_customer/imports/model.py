"""Customer import and export jobs (pure): the kit's job with the customer's upsert keys,
custom columns and export fields, and the texts of the customer import's own codes (the
counters, outcomes and statuses are the kit's: `crm_kit.imports.model`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_customer import i18n
from crm_customer.catalog.model import FieldDefinition
from crm_kit.imports.messages import FILE_MESSAGES
from crm_kit.imports.model import Job as ImportJob


class UpsertKey(StrEnum):
    ID = "ID"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    ID_CARD = "ID_CARD"
    USCC = "USCC"


# The column holding each upsert key.
UPSERT_COLUMN = {
    UpsertKey.ID: "id",
    UpsertKey.PHONE: "phones",
    UpsertKey.EMAIL: "emails",
    UpsertKey.ID_CARD: "id_card_number",
    UpsertKey.USCC: "uscc",
}


@dataclass(frozen=True, slots=True)
class Job(ImportJob):
    """A customer import or export job: the kit's job (`crm_kit.imports.model.Job`) and what
    only customer jobs hold."""

    upsert_key: UpsertKey | None = None
    # the active custom field definitions when the job was accepted: its custom columns
    custom_fields: tuple[FieldDefinition, ...] = ()
    # export
    filter: dict[str, Any] = field(default_factory=dict)
    query: bytes = b""  # BSON: the filter AND the caller's access condition, fixed at start
    include_personal: bool = False
    reveal_identity: bool = False
    row_count: int = 0
    file_parts: int = 0
    file_size: int = 0  # bytes; 0 for an export finished before sizes were kept
    expires_at: datetime | None = None


# Codes of the import itself (row and file problems); field codes come from i18n.CATALOG.
MESSAGES: dict[str, tuple[str, str]] = {
    "DUPLICATE": ("与已有客户重复", "Duplicates an existing customer"),
    "DUPLICATE_SKIPPED": ("与已有客户重复，已跳过", "Duplicates an existing customer; skipped"),
    "DUPLICATE_IN_FILE": ("与文件中前面的行重复", "Duplicates an earlier row of this file"),
    "AMBIGUOUS_KEY": ("该键对应多个客户，无法更新", "The key matches several customers"),
    "NOT_FOUND": ("未找到该客户", "No customer with this id"),
    "KIND_MISMATCH": ("客户类型与已有客户不同", "The kind differs from the existing customer"),
    "STALE": ("客户同时被他人修改", "The customer was changed at the same time"),
    "INVALID_KIND": ("客户类型无效（个人/企业）", "Kind is INDIVIDUAL or ENTERPRISE"),
    "INVALID_STAGE_VALUE": ("生命周期阶段无效", "Unknown lifecycle stage"),
    "INVALID_SOURCE": ("来源无效", "Unknown source"),
    "INVALID_GENDER": ("性别无效", "Unknown gender"),
    "INVALID_COMPANY_SIZE": ("企业规模无效", "Unknown company size"),
    "INVALID_DATE": ("日期格式应为 YYYY-MM-DD", "Dates are written YYYY-MM-DD"),
    "FORBIDDEN": ("无权执行此操作", "Not allowed"),
    "ERROR": ("处理该行时出错", "This row could not be processed"),
    **FILE_MESSAGES,
}
i18n.register(MESSAGES)  # also raised as field errors (file problems) by the API


def texts(code: str) -> tuple[str, str]:
    """(zh, en) message of a row error code."""
    return MESSAGES.get(code) or i18n.CATALOG.get(code) or (code, code)
