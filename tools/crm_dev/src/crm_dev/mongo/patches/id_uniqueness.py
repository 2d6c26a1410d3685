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
``CRM_DEV_MONGOECO_PATCH=0`` leaves it off (to measure without it).

The other read/write patches share `enabled` (the version pin and their off switch) and
`install` (replace a mongoeco attribute once).
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from typing import Any

PINNED_VERSION = "4.11.0"
SWITCH = "CRM_DEV_MONGOECO_PATCH"
_MARKER = "_crm_dev_patched"

log = logging.getLogger(__name__)


def switched_off(switch: str | None) -> bool:
    """The patch's environment switch is "0" (to measure without it)."""
    return switch is not None and os.environ.get(switch, "1") == "0"


def enabled(switch: str | None = None) -> bool:
    """mongoeco is the pinned version and the patch is not switched off."""
    import mongoeco

    return getattr(mongoeco, "__version__", "") == PINNED_VERSION and not switched_off(switch)


def installed(owner: Any, name: str) -> bool:
    return bool(getattr(getattr(owner, name), _MARKER, False))


def install(owner: Any, name: str, replacement: Any) -> None:
    """Put `replacement` (a `functools.wraps` of the original) at `owner.name`, marked so a
    second `apply` sees it via `installed`."""
    setattr(replacement, _MARKER, True)
    setattr(owner, name, replacement)


def apply() -> bool:
    """Apply the patch once; True when it is active."""
    if switched_off(SWITCH):
        return False
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
    if installed(SQLiteEngine, "_validate_document_against_unique_indexes"):
        return True
    original = SQLiteEngine._validate_document_against_unique_indexes

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

    install(SQLiteEngine, "_validate_document_against_unique_indexes", validate)
    log.debug("mongoeco %s: _id uniqueness scan skipped for str/ObjectId ids", version)
    return True


def is_applied() -> bool:
    from mongoeco.engines.sqlite import SQLiteEngine

    return installed(SQLiteEngine, "_validate_document_against_unique_indexes")
