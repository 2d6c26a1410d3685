"""Serve `{_id: {$in: [...]}}` from mongoeco's primary key instead of a JSON scan.

Why: mongoeco 4.11.0 translates `$in` to SQL as one `json_extract(document, '$._id') = ?`
clause per value, OR-ed, so SQLite parses every document of the collection: a 50-id lookup
cost ~160 ms at 8,000 documents. That lookup is the hot path of every batched federation
entity resolution (`_entities` → DataLoader → one `$in` query).

What: for a non-negated `$in` on `_id` whose values are all `str` or `ObjectId` (each has
exactly one storage key, as the id_uniqueness patch explains), translate to
`storage_key IN (...)`, which SQLite answers from the documents table's primary key. Anything
else — other fields, numeric ids, `$nin` — goes through mongoeco unchanged. (The absent_id
patch does the same for an update's or a delete's `{_id: value}`.)

Written against mongoeco 4.11.0; `tests/infra/test_mongo_read_cost.py` checks results and
that the cost does not grow with collection size.
"""

from __future__ import annotations

import functools
from typing import Any

from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

MEMBERSHIP = "mongoeco.engines.sqlite_query._translate_membership"


def build(originals: Originals) -> Replacements:
    import bson
    from mongoeco.core.identity import canonical_document_id

    original = originals[MEMBERSHIP]

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

    return {MEMBERSHIP: translate_membership}


PATCH = Patch(
    name="id_membership",
    written_for="4.11.0",
    targets=(MEMBERSHIP,),
    build=build,
)
