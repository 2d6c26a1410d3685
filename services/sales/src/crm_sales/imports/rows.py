"""Opportunity import rows (pure): a file's table staged as rows, and one row → what
`createOpportunity` / `updateOpportunity` take (a `CreateRequest`, a `ChangeRequest`).

Cells are text. Amounts may group thousands (``1,200,000.50``) and are passed on as decimal
strings, so the use case checks them as it checks the API's (INVALID, NEGATIVE, PRECISION …);
dates are read as the kit reads them (``2026/9/30``, ``2026年9月30日``) and passed on as
``YYYY-MM-DD``; a probability is a whole percent (``35`` or ``35%``); lists are separated by
``;`` (also ``,``, ``、`` …); a contact is ``name:ROLE`` with the role's code or Chinese label. An
empty cell gives nothing: the use case's default on a create, no change on an update. A row's
problems are reported per column (`column_of` maps the use case's field paths back).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from crm_kit.errors import BadUserInput, FieldError
from crm_kit.imports.cells import parse_date, split_list, split_on, ungrouped
from crm_kit.imports.columns import camel
from crm_sales.imports.columns import COLUMNS, EXTERNAL_KEY_MAX_CHARS, TABLE
from crm_sales.opportunities.requests import ChangeRequest, CreateRequest
from crm_sales.opportunities.values import BuyingRole

_PERCENT = re.compile(r"^(\d{1,3})\s*[%％]?$")
_CONTACTS = re.compile(r"[;；\n|、]+")  # not ",": a name may hold one
_CONTACT = re.compile(r"^(?P<name>.+?)\s*[:：]\s*(?P<role>[^:：]+)$")
_ROLE_LABELS = {
    "决策人": "DECISION_MAKER", "决策者": "DECISION_MAKER", "经济决策人": "ECONOMIC_BUYER",
    "采购决策人": "ECONOMIC_BUYER", "支持者": "CHAMPION", "内部支持者": "CHAMPION",
    "影响者": "INFLUENCER", "技术评估": "TECHNICAL_EVALUATOR", "技术评估人": "TECHNICAL_EVALUATOR",
    "使用者": "USER", "用户": "USER", "反对者": "BLOCKER", "其他": "OTHER",
}  # fmt: skip
# The API's field names that are not a column's camel-cased key → the column.
_PATH_COLUMNS = {
    "customerId": "customer_id", "pipelineId": "pipeline", "stageId": "stage",
    "ownerId": "owner_id", "decisionMaker": "contacts",
}  # fmt: skip
_API_COLUMNS = {camel(c.key): c.key for c in COLUMNS} | _PATH_COLUMNS


def column_of(path: str) -> str:
    """The import column a use case's field error path points at (``contacts[1].role`` →
    ``contacts``); a field no column holds keeps its path (``lineItems``,
    ``customFields.region``)."""
    if path.startswith("customFields."):
        return path
    head = re.split(r"[\[.]", path, maxsplit=1)[0]
    return _API_COLUMNS.get(head, path)


def _text(cells: dict[str, str], key: str) -> str | None:
    return cells.get(key, "").strip() or None


def _listed(cells: dict[str, str], key: str) -> tuple[str, ...] | None:
    raw = cells.get(key, "").strip()
    return tuple(split_list(raw)) if raw else None


def _date(cells: dict[str, str], errors: list[FieldError]) -> str | None:
    raw = cells.get("expected_close_date", "").strip()
    if not raw:
        return None
    found = parse_date(raw)
    if found is None:
        errors.append(FieldError("expected_close_date", "INVALID_DATE", "Write YYYY-MM-DD"))
        return None
    return found.isoformat()


def _probability(cells: dict[str, str], errors: list[FieldError]) -> int | None:
    raw = cells.get("probability", "").strip()
    if not raw:
        return None
    found = _PERCENT.match(raw)
    if found is None:
        errors.append(FieldError("probability", "INVALID", "A whole percent from 0 to 100"))
        return None
    return int(found[1])  # above 100: the use case refuses it (OUT_OF_RANGE)


def _contact(item: str) -> tuple[str, str]:
    """``name:ROLE`` (a role's code or Chinese label); a name alone is OTHER."""
    found = _CONTACT.match(item)
    if found is None:
        return item, str(BuyingRole.OTHER)
    role = found["role"].strip()
    return found["name"].strip(), _ROLE_LABELS.get(role, role.upper().replace(" ", "_"))


def _contacts(cells: dict[str, str]) -> tuple[tuple[str, str], ...] | None:
    raw = cells.get("contacts", "").strip()
    if not raw:
        return None
    return tuple(_contact(item) for item in split_on(_CONTACTS, raw))


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """A row's values: the customer, name, pipeline and stage references (an id or a name,
    resolved per batch), the deal's fields, and the keys it is known by."""

    customer_id: str
    name: str
    pipeline: str
    stage: str | None
    owner_id: str | None
    team: str | None
    fields: ChangeRequest
    reason: str | None
    note: str | None
    external_key: str | None
    id: str | None

    def create_request(self, pipeline_id: str, stage_id: str | None) -> CreateRequest:
        return CreateRequest(
            customer_id=self.customer_id,
            name=self.name,
            pipeline_id=pipeline_id,
            stage_id=stage_id,
            owner_id=self.owner_id,
            team=self.team,
            fields=self.fields,
            reason=self.reason,
            note=self.note,
        )

    def changes(self) -> ChangeRequest:
        """What an UPSERT changes: the name and the fields its cells give (the customer,
        pipeline, owner and team stay: an assignment is `assignOpportunity`'s)."""
        return replace(self.fields, name=self.name)


def parse_row(cells: dict[str, str]) -> ParsedRow:
    """Cells (by column key) → a row's values; BAD_USER_INPUT with fields named by column."""
    errors = [
        FieldError(key, "REQUIRED", f"{key} is required")
        for key in ("customer_id", "name", "pipeline")
        if not cells.get(key, "").strip()
    ]
    external_key = _text(cells, "external_key")
    if external_key is not None and len(external_key) > EXTERNAL_KEY_MAX_CHARS:
        errors.append(FieldError("external_key", "TOO_LONG", "At most 100 characters"))
    amount = _text(cells, "amount")
    currency = _text(cells, "currency")
    fields = ChangeRequest(
        amount=ungrouped(amount) if amount else None,
        currency=currency.upper() if currency else None,
        expected_close_date=_date(cells, errors),
        next_step=_text(cells, "next_step"),
        source=_text(cells, "source"),
        competitors=_listed(cells, "competitors"),
        contacts=_contacts(cells),
        tags=_listed(cells, "tags"),
        probability=_probability(cells, errors),
    )
    if errors:
        raise BadUserInput(errors)
    return ParsedRow(
        customer_id=cells["customer_id"].strip(),
        name=cells["name"].strip(),
        pipeline=cells["pipeline"].strip(),
        stage=_text(cells, "stage"),
        owner_id=_text(cells, "owner_id"),
        team=_text(cells, "team"),
        fields=fields,
        reason=_text(cells, "reason"),
        note=_text(cells, "note"),
        external_key=external_key,
        id=_text(cells, "id"),
    )


def stage_rows(table: list[tuple[int, list[str]]]) -> list[dict[str, Any]]:
    """Header + rows → staged rows: each row's line in the file and its cells by column key."""
    header = TABLE.resolve_header(table[0][1])
    return [{"row": n, "cells": TABLE.cells(header, values)} for n, values in table[1:]]
