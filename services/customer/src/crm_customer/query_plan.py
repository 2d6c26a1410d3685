"""Which declared index serves a customer listing (pure).

Listings pass the chosen index as a `hint`, so on a real MongoDB every filter path reads
through an index (equality field first, then the sort keys: the ESR rule) instead of
depending on the planner's guess. The embedded mongoeco server accepts the hint but plans
in SQLite; its explain output is not MongoDB's, so this module is the proof that holds at
10⁶ documents on MongoDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
