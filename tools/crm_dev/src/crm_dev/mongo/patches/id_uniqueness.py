"""A narrowly scoped performance fix for mongoeco 4.11.0's single-document insert.

Why: mongoeco's single-insert path calls
``SQLiteEngine._validate_document_against_unique_indexes(..., scan_payload_id=True)``.
With that flag the method, after it has already looked the new ``_id`` up by its storage
key, loads and compares *every* document of the collection to check ``_id`` uniqueness.
An insert therefore costs O(collection size) (measured: ~2 ms at 1k documents, ~160 ms at
20k). The storage-key lookup alone is exact for ``str`` and ``bson.ObjectId`` ids: each
of those values has exactly one storage key and cannot compare equal to a value of another
BSON type. Only numeric ids need the equality scan (``1 == 1.0 == Int64(1)`` map to
different storage keys), and mongoeco still runs it for them on its own.

What: wrap the method so that for ``str``/``ObjectId`` ids it is called with
``scan_payload_id=False``; every other id type and every other check (secondary unique
indexes, multikey shape) is unchanged.

Written against mongoeco 4.11.0 (the registry refuses another version);
``tests/infra/test_mongo_insert_cost.py`` fails if insert cost grows with collection size.
``CRM_DEV_MONGOECO_PATCH=0`` leaves it off (to measure without it).
"""

from __future__ import annotations

import functools
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

PINNED_VERSION = "4.11.0"
VALIDATE = "mongoeco.engines.sqlite.SQLiteEngine._validate_document_against_unique_indexes"


def build(originals: Originals) -> Replacements:
    import bson

    original = originals[VALIDATE]
    id_types_checked_by_key = (str, bson.ObjectId)

    @functools.wraps(original)
    def validate(self: Any, db_name: str, coll_name: str, document: Any, **kwargs: Any) -> None:
        if kwargs.get("scan_payload_id") and isinstance(
            document.get("_id"), id_types_checked_by_key
        ):
            kwargs["scan_payload_id"] = False
        original(self, db_name, coll_name, document, **kwargs)

    return {VALIDATE: validate}


PATCH = Patch(
    name="id_uniqueness",
    written_for=PINNED_VERSION,
    targets=(VALIDATE,),
    build=build,
    switch=switches.ID_UNIQUENESS,
)


def apply() -> bool:
    """Apply this patch alone in this process (the server applies the whole registry)."""
    from crm_dev.mongo.patches import PATCHES

    return PATCHES.try_apply(PATCH.name)


def is_applied() -> bool:
    from crm_dev.mongo.patches import PATCHES

    return PATCHES.is_applied(PATCH.name)
