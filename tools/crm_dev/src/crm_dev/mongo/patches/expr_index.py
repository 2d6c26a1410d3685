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
value in the sort field at all — a collection fact kept across writes (see
mongoeco_features_patch) — so the usual sorted listing pays for no check.

Pinned to mongoeco 4.11.0 like the other patches; `tests/infra/test_mongo_expr_index.py`
checks answers against MongoDB semantics (strings, other types, missing fields, arrays) and
that the explain plan seeks the declared index.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from crm_dev.mongo.patches.id_uniqueness import enabled, install, installed

SWITCH = "CRM_DEV_MONGOECO_EXPR_INDEX"  # "0": measure without it


def index_terms(field: str) -> str:
    """The conjuncts matching mongoeco's index expressions for a plain-string value."""
    from mongoeco.engines import sqlite_query

    return (
        f"{sqlite_query.type_expression_sql(field)} = '' "
        f"AND {sqlite_query.value_expression_sql(field)} = ?"
    )


def apply() -> bool:
    from mongoeco.engines import sqlite_query

    if not enabled(SWITCH):
        return False
    if installed(sqlite_query, "_translate_scalar_equals"):
        return True
    original = sqlite_query._translate_scalar_equals

    @functools.wraps(original)
    def translate_scalar_equals(field: str, value: object, *args: Any, **kwargs: Any) -> Any:
        sql, params = original(field, value, *args, **kwargs)
        if type(value) is not str:
            return sql, params
        return f"({sql} AND {index_terms(field)})", [*params, value]

    install(sqlite_query, "_translate_scalar_equals", translate_scalar_equals)
    _patch_sort_check()
    _patch_string_membership()
    return True


def _patch_string_membership() -> None:
    """`{f: {$in: [strings]}}` on a field no document holds an array in: one index seek
    per value (`<type expr> = '' AND <value expr> IN (...)`) instead of mongoeco's
    "scalar equal OR array contains" per value, which no index can serve."""
    from mongoeco.core.query_plan import InCondition
    from mongoeco.engines import sqlite_query
    from mongoeco.engines.sqlite import SQLiteEngine

    original = SQLiteEngine._translate_query_plan_with_multikey

    @functools.wraps(original)
    def translate(self: SQLiteEngine, db_name: str, coll_name: str, plan: Any) -> Any:
        if (
            isinstance(plan, InCondition)
            and plan.field != "_id"  # `_id` lookups use the primary key (mongoeco_id_in_patch)
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

    install(SQLiteEngine, "_translate_query_plan_with_multikey", translate)


SORT_UNSAFE_TYPES = ("", "int64", "decimal", "decimal128", "decimal128_public")


def _patch_sort_check() -> None:
    from mongoeco.engines.sqlite import SQLiteEngine

    engine_module: Any = importlib.import_module("mongoeco.engines.sqlite")

    original = SQLiteEngine._sort_requires_python

    def unsafe_sql(field: str) -> str:
        """Documents whose `field` SQLite cannot order: an array, or an object that is not a
        tagged scalar SQLite sorts (mongoeco's own condition)."""
        path = "'" + engine_module.json_path_for_field(field).replace("'", "''") + "'"
        types = ", ".join(f"'{t}'" for t in SORT_UNSAFE_TYPES)
        return (
            f"(json_type(document, {path}) = 'array' OR (json_type(document, {path}) = 'object' "
            f"AND {engine_module.type_expression_sql(field)} IN ({types})))"
        )

    def collection_sort_unsafe(
        self: SQLiteEngine, db_name: str, coll_name: str, field: str
    ) -> bool:
        """Whether any document of the collection has such a value at `field`, kept as a
        collection fact (`sort_unsafe:<field>`, updated per written document by
        mongoeco_features_patch) so the usual answer "none" costs no scan."""
        cache: dict[tuple[str, str, str], Any] = self._collection_features_cache
        key = (db_name, coll_name, f"sort_unsafe:{field}")
        cached = cache.get(key)
        if cached is None:
            row = (
                self._require_connection()
                .execute(
                    "SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? "
                    f"AND {unsafe_sql(field)} LIMIT 1",
                    (db_name, coll_name),
                )
                .fetchone()
            )
            cached = row is not None
            cache[key] = cached
        return bool(cached)

    @functools.wraps(original)
    def sort_requires_python(
        self: SQLiteEngine, db_name: str, coll_name: str, plan: Any, sort: Any
    ) -> bool:
        if not sort:
            return False
        if self._plan_has_array_traversing_paths(db_name, coll_name, plan):
            return True
        where: tuple[str, list[object]] | None = None
        for field, _direction in sort:
            if (
                self._field_traverses_array_in_collection(db_name, coll_name, field)
                or self._field_contains_tagged_bytes_in_collection(db_name, coll_name, field)
                or self._field_contains_tagged_undefined_in_collection(db_name, coll_name, field)
            ):
                return True
            if not collection_sort_unsafe(self, db_name, coll_name, field):
                continue  # no document of the collection has one, so no matching document
            if where is None:
                # the filter exactly as the query translates it, so the same index serves it
                where = self._translate_query_plan_with_multikey(db_name, coll_name, plan)
            sql, params = where
            row = (
                self._require_connection()
                .execute(
                    "SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? "
                    f"AND ({sql}) AND {unsafe_sql(field)} LIMIT 1",
                    (db_name, coll_name, *params),
                )
                .fetchone()
            )
            if row is not None:
                return True
        return False

    install(SQLiteEngine, "_sort_requires_python", sort_requires_python)
