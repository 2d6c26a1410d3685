"""Let SQLite serve string-equality filters from mongoeco's declared (expression) indexes.

Why: for every ordered index a collection declares, mongoeco 4.11.0 already creates a
SQLite expression index on the shared `documents` table:
`(db_name, coll_name, <type expr f1>, <value expr f1>, <type expr f2>, ...)` with
`<type expr f> = COALESCE(json_extract(document, '$.f."$mongoeco".type'), '')` and
`<value expr f> = COALESCE(json_extract(document, '$.f."$mongoeco".value'),
json_extract(document, '$.f'))`. But it translates a string equality `{f: "x"}` to
`json_type(document, '$.f') = 'text' AND json_extract(document, '$.f') = ?`, which matches
none of those expressions, so SQLite can only use the `(db_name, coll_name)` prefix: every
query on a secondary field parses the JSON of the whole collection (O(collection)). Dates
are already translated through the index expressions (tagged values), strings are not.

What: a string equality also gets the two conjuncts the index is built on,
`<type expr f> = '' AND <value expr f> = ?`. They are implied by the original predicate
(a JSON string has no `$mongoeco` tag, so its type expression is '' and its value
expression is the string itself), so results are unchanged; SQLite can now seek the index
on `(db_name, coll_name, f)` and touch only the matching documents. A `$in` of strings on
a field is translated by mongoeco as an OR of such equalities and benefits the same way.
Sorting is unchanged (mongoeco sorts by a type-bucket CASE the index does not hold), so a
query reads all documents matching its equality prefix, then sorts them: O(matches).

Second, before a sorted query mongoeco checks whether any *matching* document holds an array
or an untagged object in a sort field (then it sorts in Python). That check translated the
filter without collection context — an equality as "scalar equal OR array contains" — which
no index can serve, so every sorted query scanned the collection (~170 ms at 10,000
documents). The check now translates the filter exactly as the query itself does
(`_translate_query_plan_with_multikey`: scalar-only when no document of the collection has
an array at that field, which mongoeco verifies), so it selects the same documents and is
served by the same index. And it runs only when some document of the collection has such a
value in the sort field at all — a collection fact kept across writes (see the
features_cache patch) — so the usual sorted listing pays for no check.

Switch: `CRM_DEV_MONGOECO_EXPR_INDEX=0`. Written against mongoeco 4.11.0; the multikey patch
wraps the same filter translation after it. `tests/infra/test_mongo_expr_index.py` checks
answers against MongoDB semantics (strings, other types, missing fields, arrays) and that the
explain plan seeks the declared index.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

SCALAR_EQUALS = "mongoeco.engines.sqlite_query._translate_scalar_equals"
SORT_CHECK = "mongoeco.engines.sqlite.SQLiteEngine._sort_requires_python"
TRANSLATE = "mongoeco.engines.sqlite.SQLiteEngine._translate_query_plan_with_multikey"
SORT_UNSAFE_TYPES = ("", "int64", "decimal", "decimal128", "decimal128_public")


def index_terms(field: str) -> str:
    """The conjuncts matching mongoeco's index expressions for a plain-string value."""
    from mongoeco.engines import sqlite_query

    return (
        f"{sqlite_query.type_expression_sql(field)} = '' "
        f"AND {sqlite_query.value_expression_sql(field)} = ?"
    )


def _scalar_equals(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def translate_scalar_equals(field: str, value: object, *args: Any, **kwargs: Any) -> Any:
        sql, params = original(field, value, *args, **kwargs)
        if type(value) is not str:
            return sql, params
        return f"({sql} AND {index_terms(field)})", [*params, value]

    return translate_scalar_equals


def _string_membership(original: Callable[..., Any]) -> Callable[..., Any]:
    """`{f: {$in: [strings]}}` on a field no document holds an array in: one index seek
    per value (`<type expr> = '' AND <value expr> IN (...)`) instead of mongoeco's
    "scalar equal OR array contains" per value, which no index can serve."""
    from mongoeco.core.query_plan import InCondition
    from mongoeco.engines import sqlite_query

    @functools.wraps(original)
    def translate(self: Any, db_name: str, coll_name: str, plan: Any) -> Any:
        if (
            isinstance(plan, InCondition)
            and plan.field != "_id"  # `_id` lookups use the primary key (id_membership)
            and plan.values
            and all(type(v) is str for v in plan.values)
            and self._find_multikey_index(db_name, coll_name, plan.field) is None
            and not self._field_is_top_level_array_in_collection(db_name, coll_name, plan.field)
            and "." not in plan.field
        ):
            path = sqlite_query._path_literal(plan.field)
            values = list(dict.fromkeys(plan.values))
            marks = ", ".join("?" * len(values))
            return (
                f"(json_type(document, {path}) = 'text' "
                f"AND {sqlite_query.type_expression_sql(plan.field)} = '' "
                f"AND {sqlite_query.value_expression_sql(plan.field)} IN ({marks}))",
                values,
            )
        return original(self, db_name, coll_name, plan)

    return translate


def unsafe_sql(field: str) -> str:
    """Documents whose `field` SQLite cannot order: an array, or an object that is not a
    tagged scalar SQLite sorts (mongoeco's own condition)."""
    engine_module: Any = importlib.import_module("mongoeco.engines.sqlite")
    path = "'" + engine_module.json_path_for_field(field).replace("'", "''") + "'"
    types = ", ".join(f"'{t}'" for t in SORT_UNSAFE_TYPES)
    return (
        f"(json_type(document, {path}) = 'array' OR (json_type(document, {path}) = 'object' "
        f"AND {engine_module.type_expression_sql(field)} IN ({types})))"
    )


def _any_row(engine: Any, where: str, params: tuple[object, ...]) -> bool:
    row = (
        engine._require_connection()
        .execute(f"SELECT 1 FROM documents WHERE {where} LIMIT 1", params)
        .fetchone()
    )
    return row is not None


def collection_sort_unsafe(engine: Any, db_name: str, coll_name: str, field: str) -> bool:
    """Whether any document of the collection has such a value at `field`, kept as a
    collection fact (`sort_unsafe:<field>`, updated per written document by the
    features_cache patch) so the usual answer "none" costs no scan."""
    cache: dict[tuple[str, str, str], Any] = engine._collection_features_cache
    key = (db_name, coll_name, f"sort_unsafe:{field}")
    cached = cache.get(key)
    if cached is None:
        cached = _any_row(
            engine, f"db_name = ? AND coll_name = ? AND {unsafe_sql(field)}", (db_name, coll_name)
        )
        cache[key] = cached
    return bool(cached)


def _python_sorts(engine: Any, db_name: str, coll_name: str, field: str) -> bool:
    """mongoeco's own reasons to sort by `field` in Python, whatever the filter."""
    return bool(
        engine._field_traverses_array_in_collection(db_name, coll_name, field)
        or engine._field_contains_tagged_bytes_in_collection(db_name, coll_name, field)
        or engine._field_contains_tagged_undefined_in_collection(db_name, coll_name, field)
    )


def sort_requires_python(self: Any, db_name: str, coll_name: str, plan: Any, sort: Any) -> bool:
    """Whether a matching document holds a value SQLite cannot order in a sort field; the
    filter is translated exactly as the query translates it, so the same index serves it."""
    if not sort:
        return False
    if self._plan_has_array_traversing_paths(db_name, coll_name, plan):
        return True
    where: tuple[str, list[object]] | None = None
    for field, _direction in sort:
        if _python_sorts(self, db_name, coll_name, field):
            return True
        if not collection_sort_unsafe(self, db_name, coll_name, field):
            continue  # no document of the collection has one, so no matching document
        if where is None:
            where = self._translate_query_plan_with_multikey(db_name, coll_name, plan)
        sql, params = where
        condition = f"db_name = ? AND coll_name = ? AND ({sql}) AND {unsafe_sql(field)}"
        if _any_row(self, condition, (db_name, coll_name, *params)):
            return True
    return False


def build(originals: Originals) -> Replacements:
    return {
        SCALAR_EQUALS: _scalar_equals(originals[SCALAR_EQUALS]),
        SORT_CHECK: sort_requires_python,  # replaced whole
        TRANSLATE: _string_membership(originals[TRANSLATE]),
    }


PATCH = Patch(
    name="expr_index",
    written_for="4.11.0",
    targets=(SCALAR_EQUALS, SORT_CHECK, TRANSLATE),
    build=build,
    switch=switches.EXPR_INDEX,
)
