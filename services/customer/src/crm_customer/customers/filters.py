"""The customer list (pure): a filter → its MongoDB query, the order and its cursors, and which
declared index serves the listing.

Listings pass the chosen index as a `hint`, so on a real MongoDB every filter path reads
through an index (equality field first, then the sort keys: the ESR rule) instead of
depending on the planner's guess. The embedded mongoeco server accepts the hint but plans
in SQLite; its explain output is not MongoDB's, so `plan` is the proof that holds at
10⁶ documents on MongoDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_customer.catalog.field_values import ValueFilter, filter_terms
from crm_customer.customers.model import Customer
from crm_customer.customers.search import Seal, query_terms, unsealed
from crm_customer.customers.values import CustomerKind, LifecycleStage, Source
from crm_kit.errors import BadUserInput
from crm_kit.listing import DateTimeRangeInput, OrderDirection, range_condition
from crm_kit.mongo import Document
from crm_kit.paging import Keyset, encode_cursor


class CustomerOrderField(StrEnum):
    """What the customer list is ordered by (then by id, in the same direction)."""

    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


ORDER_KEY = {
    CustomerOrderField.CREATED_AT: "created_at",
    CustomerOrderField.UPDATED_AT: "updated_at",
}


@dataclass(frozen=True, slots=True)
class CustomerOrder:
    """The list's order: a time field, then the id, both in `direction` (so a page ends at a
    (time, id) keyset). Every order is served by an index read forwards or backwards."""

    field: CustomerOrderField = CustomerOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC

    @property
    def key(self) -> str:
        """The stored field the list is sorted by."""
        return ORDER_KEY[self.field]

    @property
    def sign(self) -> int:
        """MongoDB's sort direction: 1 ascending, -1 descending."""
        return -1 if self.direction is OrderDirection.DESC else 1

    @property
    def cursor_order(self) -> str:
        """What a cursor is bound to: CREATED_DESC, CREATED_ASC, UPDATED_DESC or UPDATED_ASC
        (the names of the former `sort`, so the cursors it made stay valid)."""
        return f"{self.field.removesuffix('_AT')}_{self.direction.value}"

    def at(self, customer: Customer) -> datetime:
        """The customer's value of the order's time field."""
        return (
            customer.updated_at
            if self.field is CustomerOrderField.UPDATED_AT
            else customer.created_at
        )


DEFAULT_ORDER = CustomerOrder()


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    stages: list[LifecycleStage] = field(default_factory=list)
    owner_id: str | None = None
    team: str | None = None
    tags_any: list[str] = field(default_factory=list)
    tags_all: list[str] = field(default_factory=list)
    tier: str | None = None
    source: Source | None = None
    kind: CustomerKind | None = None
    industry: str | None = None
    region: str | None = None
    created: DateTimeRangeInput | None = None
    updated: DateTimeRangeInput | None = None
    text: str | None = None
    include_archived: bool = False
    archived_only: bool = False
    custom_fields: list[ValueFilter] = field(default_factory=list)

    def query(self, seal: Seal = unsealed) -> Document:
        """`seal`: the data protector's search_token, so phone and email searches match the
        sealed tokens stored for them (without it they match nothing)."""
        query: Document = {"merged_into": None, **self._equalities(), **self._lists()}
        for name, path, period in (
            ("created_at", "filter.created", self.created),
            ("updated_at", "filter.updated", self.updated),
        ):  # a reversed range: BAD_USER_INPUT naming `<path>.to`
            if bounds := range_condition(period, path):
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

    def _equalities(self) -> Document:
        equal = {
            "owner_id": self.owner_id,
            "team": self.team,
            "tier": self.tier,
            "source": str(self.source) if self.source else None,
            "kind": str(self.kind) if self.kind else None,
            "industry": self.industry.upper() if self.industry else None,
            "region": self.region,
        }
        return {k: v for k, v in equal.items() if v is not None}

    def _lists(self) -> Document:
        """The stage and tag conditions."""
        query: Document = {}
        stages = [str(s) for s in self.stages]
        if stages:
            query["stage"] = stages[0] if len(stages) == 1 else {"$in": stages}
        tags: Document = {}
        if self.tags_all:
            tags["$all"] = list(self.tags_all)
        if self.tags_any:
            tags["$in"] = list(self.tags_any)
        if tags:
            query["tags"] = tags
        return query


def cursor_for(customer: Customer, order: CustomerOrder) -> str:
    """The customer's cursor in the list under `order` (refused under another order)."""
    return encode_cursor(Keyset(order.at(customer), customer.id), order=order.cursor_order)


# --- which index serves a listing ----------------------------------------------------------

# Most selective first: the first filter field present picks the index.
INDEX_BY_FIELD: tuple[tuple[str, str], ...] = (
    ("search_terms", "search_created"),
    ("custom_terms", "custom_created"),
    ("owner_id", "owner_created"),
    ("tags", "tags_created_id"),
    ("region", "region_created"),
    ("industry", "industry_created"),
    ("source", "source_created"),
    ("tier", "tier_created"),
    ("team", "team_created"),
    ("stage", "stage_created"),
    ("kind", "kind_created"),
)
SORT_INDEX = {"created_at": "created", "updated_at": "updated"}


@dataclass(frozen=True, slots=True)
class Plan:
    index: str
    leading_field: str
    sort_served: bool  # False: the matches of the leading field are sorted in memory


def _indexable(condition: Any) -> bool:
    """Equality, `$in` or `$all` on a field can use the index's leading key."""
    if not isinstance(condition, Mapping):
        return True
    return any(op in condition for op in ("$in", "$all", "$eq"))


def plan(query: Mapping[str, Any], sort_field: str = "created_at") -> Plan:
    for name, index in INDEX_BY_FIELD:
        if name in query and _indexable(query[name]):
            return Plan(index, name, sort_field == "created_at")
    return Plan(SORT_INDEX[sort_field], sort_field, True)


def index_keys(indexes: Sequence[Any]) -> dict[str, list[str]]:
    """Declared index name → key field names (from pymongo IndexModel documents)."""
    out: dict[str, list[str]] = {}
    for model in indexes:
        doc = model.document
        out[str(doc["name"])] = list(doc["key"].keys())
    return out
