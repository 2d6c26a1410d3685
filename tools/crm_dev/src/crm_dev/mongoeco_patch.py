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

Pinned to mongoeco 4.11.0: on any other version the patch refuses to apply and warns, so
an upgrade is re-examined instead of silently patching code we have not read.
``tests/infra/test_mongo_insert_cost.py`` fails if insert cost grows with collection size.
"""

from __future__ import annotations

import functools
import logging
import warnings
from typing import Any

PINNED_VERSION = "4.11.0"
_MARKER = "_crm_dev_id_scan_patch"

log = logging.getLogger(__name__)


def apply() -> bool:
    """Apply the patch once; True when it is active."""
    import bson
    import mongoeco
    from mongoeco.engines.sqlite import SQLiteEngine

    version = getattr(mongoeco, "__version__", "unknown")
    if version != PINNED_VERSION:
        warnings.warn(
            f"crm_dev.mongoeco_patch: not applied, written for mongoeco {PINNED_VERSION} "
            f"but {version} is installed; single inserts may cost O(collection size). "
            "Re-check SQLiteEngine._validate_document_against_unique_indexes and update "
            "the pin.",
            RuntimeWarning,
            stacklevel=2,
        )
        return False
    original = SQLiteEngine._validate_document_against_unique_indexes
    if getattr(original, _MARKER, False):
        return True

    id_types_checked_by_key = (str, bson.ObjectId)

    @functools.wraps(original)
    def validate(
        self: SQLiteEngine,
        db_name: str,
        coll_name: str,
        document: Any,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("scan_payload_id") and isinstance(
            document.get("_id"), id_types_checked_by_key
        ):
            kwargs["scan_payload_id"] = False
        original(self, db_name, coll_name, document, **kwargs)

    setattr(validate, _MARKER, True)
    SQLiteEngine._validate_document_against_unique_indexes = validate  # type: ignore[method-assign]
    log.debug("mongoeco %s: _id uniqueness scan skipped for str/ObjectId ids", version)
    return True


def is_applied() -> bool:
    from mongoeco.engines.sqlite import SQLiteEngine

    return bool(getattr(SQLiteEngine._validate_document_against_unique_indexes, _MARKER, False))
