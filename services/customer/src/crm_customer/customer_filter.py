"""The customer list filter and sort (pure): a filter → its MongoDB query, cursors."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from crm_customer.custom_fields import ValueFilter, filter_terms
from crm_customer.domain import Customer, CustomerKind, LifecycleStage, Source
from crm_customer.search_terms import Seal, query_terms, unsealed
from crm_kit.errors import BadUserInput
from crm_kit.mongo import Document


class SortOrder(StrEnum):
    CREATED_DESC = "CREATED_DESC"
    CREATED_ASC = "CREATED_ASC"
    UPDATED_DESC = "UPDATED_DESC"


SORT_FIELD = {
    SortOrder.CREATED_DESC: ("created_at", -1),
    SortOrder.CREATED_ASC: ("created_at", 1),
    SortOrder.UPDATED_DESC: ("updated_at", -1),
}


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    stage: LifecycleStage | None = None
    stages: list[LifecycleStage] = field(default_factory=list)
    owner_id: str | None = None
    team: str | None = None
    tag: str | None = None
    tags_any: list[str] = field(default_factory=list)
    tags_all: list[str] = field(default_factory=list)
    tier: str | None = None
    source: Source | None = None
    kind: CustomerKind | None = None
    industry: str | None = None
    region: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    text: str | None = None
    include_archived: bool = False
    archived_only: bool = False
    custom_fields: list[ValueFilter] = field(default_factory=list)

    def query(self, seal: Seal = unsealed) -> Document:
        """`seal`: the data protector's search_token, so phone and email searches match the
        sealed tokens stored for them (without it they match nothing)."""
        query: Document = {"merged_into": None}
        equal = {
            "owner_id": self.owner_id,
            "team": self.team,
            "tier": self.tier,
            "source": str(self.source) if self.source else None,
            "kind": str(self.kind) if self.kind else None,
            "industry": self.industry.upper() if self.industry else None,
            "region": self.region,
        }
        query.update({k: v for k, v in equal.items() if v is not None})
        stages = [str(s) for s in ([self.stage] if self.stage else []) + self.stages]
        if stages:
            query["stage"] = stages[0] if len(stages) == 1 else {"$in": stages}
        tags: Document = {}
        if self.tag is not None:
            tags["$all"] = [self.tag, *self.tags_all]
        elif self.tags_all:
            tags["$all"] = list(self.tags_all)
        if self.tags_any:
            tags["$in"] = list(self.tags_any)
        if tags:
            query["tags"] = tags
        for name, low, high in (
            ("created_at", self.created_from, self.created_to),
            ("updated_at", self.updated_from, self.updated_to),
        ):
            if low and high and low > high:
                raise BadUserInput.single(name, "INVALID_RANGE", "Range start is after its end")
            bounds = {k: v for k, v in (("$gte", low), ("$lt", high)) if v is not None}
            if bounds:
                query[name] = bounds
        if self.text is not None and self.text.strip():
            terms = query_terms(self.text, seal)
            if not terms:
                raise BadUserInput.single("text", "INVALID_SEARCH", "Nothing searchable")
            query["search_terms"] = {"$all": terms}
        if self.custom_fields:
            query["custom_terms"] = {"$all": filter_terms(self.custom_fields)}
        if self.archived_only:
            query["archived"] = True
        elif not self.include_archived:
            query["archived"] = {"$ne": True}
        return query


def encode_cursor(value: datetime, id: str) -> str:
    raw = f"{value.isoformat()}|{id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, _, id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created), id
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput.single("after", "INVALID_CURSOR", "Malformed cursor") from exc


def cursor_for(customer: Customer, sort: SortOrder) -> str:
    value = customer.updated_at if sort is SortOrder.UPDATED_DESC else customer.created_at
    return encode_cursor(value, customer.id)
