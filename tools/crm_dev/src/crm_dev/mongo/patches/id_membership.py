"""Serve `{_id: {$in: [...]}}` from mongoeco's primary key instead of a JSON scan.

Why: mongoeco 4.11.0 translates `$in` to SQL as one `json_extract(document, '$._id') = ?`
clause per value, OR-ed, so SQLite parses every document of the collection: a 50-id lookup
cost ~160 ms at 8,000 documents. That lookup is the hot path of every batched federation
entity resolution (`_entities` → DataLoader → one `$in` query).

What: for a non-negated `$in` on `_id` whose values are all `str` or `ObjectId` (each has
exactly one storage key, as `mongoeco_patch` explains), translate to `storage_key IN (...)`,
which SQLite answers from the documents table's primary key. Anything else — other fields,
numeric ids, `$nin` — goes through mongoeco unchanged.

The same for an update's or a delete's `{_id: value}` whose document does not exist (every
upsert that inserts, e.g. a timeline entry): mongoeco looks the storage key up, and when it
is absent falls back to a plan that parses every document of the collection to be sure
(profile of createCustomer at 5,000 customers: a quarter of the server's CPU). For a `str` or
`ObjectId` value the storage key is the only place the document can be, so an absent key now
answers "no document" at once (switch: `CRM_DEV_MONGOECO_ABSENT_ID=0`).

Pinned to mongoeco 4.11.0 like the insert patch; `tests/infra/test_mongo_read_cost.py` and
`tests/infra/test_mongo_features_cache.py` check results and that the cost does not grow with
collection size.
"""

from __future__ import annotations

import functools
from typing import Any

from crm_dev.mongo.patches.id_uniqueness import enabled, install, installed, switched_off


def apply() -> bool:
    import bson
    from mongoeco.core.identity import canonical_document_id
    from mongoeco.engines import sqlite_query

    if not enabled():
        return False
    if installed(sqlite_query, "_translate_membership"):
        return True
    original = sqlite_query._translate_membership

    @functools.wraps(original)
    def translate_membership(
        field: str, values: tuple[object, ...], *, negated: bool, **kwargs: Any
    ) -> tuple[str, list[object]]:
        if (
            field == "_id"
            and not negated
            and values
            and all(isinstance(v, (str, bson.ObjectId)) for v in values)
        ):
            keys = [repr(canonical_document_id(v)) for v in dict.fromkeys(values)]
            return f"storage_key IN ({', '.join('?' * len(keys))})", list(keys)
        result: tuple[str, list[object]] = original(field, values, negated=negated, **kwargs)
        return result

    install(sqlite_query, "_translate_membership", translate_membership)
    _patch_absent_id()
    return True


def _patch_absent_id() -> None:
    import bson
    from mongoeco.core.query_plan import EqualsCondition
    from mongoeco.engines.sqlite import SQLiteEngine

    if switched_off("CRM_DEV_MONGOECO_ABSENT_ID") or installed(
        SQLiteEngine, "_select_first_document_for_plan"
    ):
        return
    original = SQLiteEngine._select_first_document_for_plan

    @functools.wraps(original)
    def select_first_document_for_plan(
        self: Any, db_name: str, coll_name: str, plan: Any, **kwargs: Any
    ) -> Any:
        if (
            isinstance(plan, EqualsCondition)
            and plan.field == "_id"
            and isinstance(plan.value, (str, bson.ObjectId))
            and kwargs.get("hint") is None
        ):
            conn = self._require_connection(kwargs.get("context"))
            row = conn.execute(
                "SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? AND storage_key = ?",
                (db_name, coll_name, self._storage_key(plan.value)),
            ).fetchone()
            if row is None:
                return None
        return original(self, db_name, coll_name, plan, **kwargs)

    install(SQLiteEngine, "_select_first_document_for_plan", select_first_document_for_plan)
