"""Import and export jobs (pure): what a job is, its counters and its row outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_customer import i18n
from crm_customer.catalog.model import FieldDefinition
from crm_kit.auth import Principal, Role


class JobKind(StrEnum):
    IMPORT = "IMPORT"
    EXPORT = "EXPORT"


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class ImportMode(StrEnum):
    CREATE_ONLY = "CREATE_ONLY"
    UPSERT = "UPSERT"
    SKIP_DUPLICATES = "SKIP_DUPLICATES"


class UpsertKey(StrEnum):
    ID = "ID"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    ID_CARD = "ID_CARD"
    USCC = "USCC"


@dataclass(frozen=True, slots=True)
class ImportUpload:
    """An uploaded file and how to import it, as the API received them."""

    data: bytes
    filename: str
    mode: ImportMode = ImportMode.CREATE_ONLY
    upsert_key: UpsertKey | None = None
    dry_run: bool = False
    idempotency_key: str | None = None


# The column holding each upsert key.
UPSERT_COLUMN = {
    UpsertKey.ID: "id",
    UpsertKey.PHONE: "phones",
    UpsertKey.EMAIL: "emails",
    UpsertKey.ID_CARD: "id_card_number",
    UpsertKey.USCC: "uscc",
}


class Outcome(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"


COUNTER = {
    Outcome.CREATED: "created",
    Outcome.UPDATED: "updated",
    Outcome.SKIPPED: "skipped",
    Outcome.FAILED: "failed",
}


@dataclass(frozen=True, slots=True)
class RowResult:
    row: int
    outcome: Outcome
    customer_id: str | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column key, code)

    def as_doc(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "outcome": str(self.outcome),
            "customer_id": self.customer_id,
            "errors": [list(e) for e in self.errors],
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> RowResult:
        return cls(
            int(doc["row"]),
            Outcome(doc["outcome"]),
            doc.get("customer_id"),
            [(str(c), str(k)) for c, k in doc.get("errors") or []],
        )


@dataclass(frozen=True, slots=True)
class Counts:
    processed: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0

    @classmethod
    def of(cls, results: list[RowResult]) -> Counts:
        values = {name: 0 for name in COUNTER.values()}
        for r in results:
            values[COUNTER[r.outcome]] += 1
        return cls(processed=len(results), **values)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: JobKind
    status: JobStatus
    actor: str
    created_at: datetime
    format: str
    actor_roles: tuple[str, ...] = ()
    actor_team: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # import
    mode: ImportMode | None = None
    upsert_key: UpsertKey | None = None
    dry_run: bool = False
    file_name: str = ""
    file_sha256: str = ""
    total: int = 0
    chunk_count: int = 0
    next_chunk: int = 0
    counts: Counts = field(default_factory=Counts)
    headers: dict[str, str] = field(default_factory=dict)  # column key → header in the file
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
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status not in OPEN_STATUSES

    def times(self) -> dict[str, str | None]:
        """When the job was created, started and finished (ISO 8601), as events carry them."""
        return {
            "createdAt": self.created_at.isoformat(),
            "startedAt": self.started_at.isoformat() if self.started_at else None,
            "finishedAt": self.finished_at.isoformat() if self.finished_at else None,
        }


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
    "EMPTY_FILE": ("文件为空或没有数据行", "The file is empty or has no data rows"),
    "UNSUPPORTED_FILE_TYPE": ("仅支持 CSV 和 XLSX 文件", "Only CSV and XLSX files are supported"),
    "FILE_TOO_LARGE": ("文件过大", "The file is too large"),
    "TOO_MANY_ROWS": ("文件行数过多", "The file has too many rows"),
    "TOO_MANY_COLUMNS": ("文件列数过多", "The file has too many columns"),
    "ERROR": ("处理该行时出错", "This row could not be processed"),
}
i18n.register(MESSAGES)  # also raised as field errors (file problems) by the API


def texts(code: str) -> tuple[str, str]:
    """(zh, en) message of a row error code."""
    return MESSAGES.get(code) or i18n.CATALOG.get(code) or (code, code)


def may_see(principal: Principal, job: Job) -> bool:
    """A job (and its files) is seen by whoever started it, and by ADMIN."""
    return job.actor == principal.sub or principal.has_role(Role.ADMIN)


def principal_of(job: Job) -> Principal:
    """The requester as recorded on the job (the worker acts and shapes data as them)."""
    roles = frozenset(Role(r) for r in job.actor_roles if r in Role.__members__)
    return Principal(job.actor, job.actor, roles, job.actor_team)
