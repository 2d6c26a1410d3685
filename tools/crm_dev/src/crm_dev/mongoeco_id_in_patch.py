"""Serve `{_id: {$in: [...]}}` from mongoeco's primary key instead of a JSON scan.

Why: mongoeco 4.11.0 translates `$in` to SQL as one `json_extract(document, '$._id') = ?`
clause per value, OR-ed, so SQLite parses every document of the collection: a 50-id lookup
cost ~160 ms at 8,000 documents. That lookup is the hot path of every batched federation
entity resolution (`_entities` → DataLoader → one `$in` query).

What: for a non-negated `$in` on `_id` whose values are all `str` or `ObjectId` (each has
exactly one storage key, as `mongoeco_patch` explains), translate to `storage_key IN (...)`,
which SQLite answers from the documents table's primary key. Anything else — other fields,
numeric ids, `$nin` — goes through mongoeco unchanged. Pinned to mongoeco 4.11.0 like the
insert patch; `tests/infra/test_mongo_read_cost.py` checks results and that the cost does
not grow with collection size.
"""

from __future__ import annotations

import functools
from typing import Any

from crm_dev.mongoeco_patch import enabled, install, installed


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
    return True
