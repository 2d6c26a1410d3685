"""Serve array-membership filters (`{tags: "x"}`, `{search_terms: {$all: [...]}}`) from an index.

Why: mongoeco 4.11.0 keeps an inverted index of array elements (`multikey_entries`) only for
single-field indexes, and even then translates a match into a correlated
`EXISTS (… WHERE storage_key = documents.storage_key …)`, which SQLite evaluates once per
document of the collection; `$all` is never served by it (a `json_each` scan). Our listings
declare compound indexes that lead with the array field (`search_terms, created_at` — the ESR
shape a real MongoDB wants), so every free-text customer search parsed the JSON of every
customer: ~300 ms at 5,000 customers, growing with the collection.

What:
- a non-unique compound index whose first field has no array in its path also gets
  `multikey_entries` for that first field (mongoeco builds them from `fields[0]` already;
  it only refused compound indexes). Applies to indexes created with the patch active.
- an equality or `$all` on such a field, with string values, in a collection where some
  document holds an array there, becomes `storage_key IN (<element seek> UNION <documents
  whose field is that string>)` per value: SQLite looks the matching documents up by primary
  key instead of scanning. MongoDB semantics kept: an array containing the value, or the
  field equal to it (the second branch seeks the compound index's expression on the field).
  A `hint` naming the compound index is not forced on SQLite for such a query (mongoeco turns
  a hint into `INDEXED BY`, which would make SQLite walk that index instead of the keys).
  Anything else (other types, dotted paths, no such index) is translated as before.

(The element index itself is one physical SQLite index for all collections: the
shared_index patch.)

Switch: `CRM_DEV_MONGOECO_MULTIKEY=0`. Written against mongoeco 4.11.0; it wraps the filter
translation after the expr_index patch. `tests/infra/test_mongo_multikey.py` checks answers
against MongoDB semantics and that the cost of a search does not grow with the collection.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

ENGINE = "mongoeco.engines.sqlite.SQLiteEngine"
SELECT_SQL = f"{ENGINE}._build_select_sql"
SUPPORTS = f"{ENGINE}._supports_multikey_index"
TRANSLATE = f"{ENGINE}._translate_query_plan_with_multikey"
_TAG = "/* crm_dev_multikey */"
_FORCED_INDEX = re.compile(r'FROM documents INDEXED BY "[^"]+"')


def supports_multikey_index(fields: list[str], unique: bool) -> bool:
    """Non-unique indexes whose first field has no array in its path, compound ones too."""
    from mongoeco.engines import sqlite_query

    return not unique and bool(fields) and not sqlite_query.path_array_prefixes(fields[0])


def _leading_multikey_index(engine: Any, db_name: str, coll_name: str, field: str) -> Any:
    for index in engine._load_indexes(db_name, coll_name):
        if index.get("multikey") and index["fields"][0] == field:
            return index
    return None


def _member_of(
    engine: Any, collection_id: int, namespace: tuple[str, str], index: Any, value: str
) -> tuple[str, list[object]]:
    """Documents whose field (the index's first) contains `value` or equals it."""
    from mongoeco.engines import sqlite_query

    db_name, coll_name = namespace
    physical = engine._quote_identifier(str(index["multikey_physical_name"]))
    scalar_sql, scalar_params = sqlite_query._translate_scalar_equals(
        index["fields"][0], value, null_matches_undefined=False
    )
    return (
        f"{_TAG} documents.storage_key IN ("
        f"SELECT storage_key FROM multikey_entries INDEXED BY {physical} "
        "WHERE collection_id = ? AND index_name = ? AND type_score = ? "
        "AND element_key = ? AND element_type = 'string' "
        "UNION SELECT storage_key FROM documents AS scalar_documents "
        "WHERE scalar_documents.db_name = ? AND scalar_documents.coll_name = ? "
        f"AND ({scalar_sql}))",
        [
            collection_id,
            index["name"],
            engine._multikey_type_score("string"),
            value,
            db_name,
            coll_name,
            *scalar_params,
        ],
    )


def _string_values(plan: Any) -> list[Any] | None:
    """The strings an equality or `$all` on a plain top-level field asks for, else None."""
    from mongoeco.core.query_plan import AllCondition, EqualsCondition

    if isinstance(plan, AllCondition):
        values: list[Any] = list(dict.fromkeys(plan.values))
    elif isinstance(plan, EqualsCondition) and not plan.null_matches_undefined:
        values = [plan.value]
    else:
        return None
    field = plan.field
    if not values or not all(type(v) is str for v in values) or "." in field or field == "_id":
        return None
    return values


def _seek(engine: Any, db_name: str, coll_name: str, plan: Any) -> Any:
    """The filter as element-index seeks, or None when it is not such a filter."""
    values = _string_values(plan)
    if values is None:
        return None
    index = _leading_multikey_index(engine, db_name, coll_name, plan.field)
    if index is None or not engine._field_is_top_level_array_in_collection(
        db_name, coll_name, plan.field
    ):
        return None
    collection_id = engine._lookup_collection_id(engine._require_connection(), db_name, coll_name)
    if collection_id is None:
        return None
    clauses: list[str] = []
    params: list[object] = []
    for value in values:
        sql, more = _member_of(engine, collection_id, (db_name, coll_name), index, value)
        clauses.append(sql)
        params.extend(more)
    return "(" + " AND ".join(clauses) + ")", params


def _translating(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def translate(self: Any, db_name: str, coll_name: str, plan: Any) -> Any:
        seek = _seek(self, db_name, coll_name, plan)
        return original(self, db_name, coll_name, plan) if seek is None else seek

    return translate


def _selecting(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def build_select_sql(self: Any, *args: Any, **kwargs: Any) -> Any:
        sql, params = original(self, *args, **kwargs)
        if _TAG in sql:  # a hinted index would force a scan of it: let SQLite seek the keys
            sql = _FORCED_INDEX.sub("FROM documents", sql, count=1)
        return sql, params

    return build_select_sql


def build(originals: Originals) -> Replacements:
    return {
        SELECT_SQL: _selecting(originals[SELECT_SQL]),
        SUPPORTS: supports_multikey_index,  # replaced whole (a staticmethod)
        TRANSLATE: _translating(originals[TRANSLATE]),
    }


PATCH = Patch(
    name="multikey",
    written_for="4.11.0",
    targets=(SELECT_SQL, SUPPORTS, TRANSLATE),
    build=build,
    after=("expr_index",),
    switch=switches.MULTIKEY,
)
