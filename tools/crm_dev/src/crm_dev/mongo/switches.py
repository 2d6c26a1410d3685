"""Every environment variable the embedded MongoDB server reads, in one place.

No other module of `crm_dev.mongo` reads the environment; `table()` renders the list as the
README's table (`python -m crm_dev.mongo --switches`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Switch:
    """An environment variable: its name, the value it has when unset, what it changes."""

    name: str
    default: str
    meaning: str

    def get(self, environ: Mapping[str, str] | None = None) -> str:
        """The variable's value (`default` when unset; an empty value stays empty)."""
        return (os.environ if environ is None else environ).get(self.name, self.default)


def _patch_switch(name: str, what: str) -> Switch:
    return Switch(name, "1", f"`0` leaves off the patch that {what}")


MONGO_PORT = Switch("MONGO_PORT", "27018", "embedded MongoDB port")
MONGO_DATA = Switch(
    "MONGO_DATA",
    ".data/mongo",
    "data directory of `python -m crm_dev.mongo` (the SQLite file `mongoeco.sqlite3`); "
    "`make run` uses `$CRM_DATA_DIR/mongo`",
)
CHANGE_OUTBOX_MAX_ENTRIES = Switch(
    "MONGOECO_CHANGE_OUTBOX_MAX_ENTRIES",
    "10000",
    "change events mongoeco keeps for change streams",
)
UNPATCHED = Switch(
    "MONGOECO_UNPATCHED",
    "0",
    "`1` runs the embedded server without any patch (the transaction gate included); "
    "otherwise the server refuses to start when a patch does not fit the installed mongoeco",
)
TRANSACTION_LIFETIME_SECONDS = Switch(
    "MONGOECO_TRANSACTION_LIFETIME_SECONDS",
    "60",
    "the embedded server aborts a transaction older than this (or whose client's connections "
    "all closed), like MongoDB's `transactionLifetimeLimitSeconds`",
)
BUSY_TIMEOUT_SECONDS = Switch(
    "MONGOECO_BUSY_TIMEOUT_SECONDS",
    "30",
    "how long the embedded server's SQLite connections wait for each other's write lock "
    'before "database is locked"',
)
ID_UNIQUENESS = _patch_switch(
    "CRM_DEV_MONGOECO_PATCH", "skips the `_id` uniqueness scan of a single insert"
)
ABSENT_ID = _patch_switch(
    "CRM_DEV_MONGOECO_ABSENT_ID",
    "answers an absent `_id` from the primary key (upserts that insert)",
)
EXPR_INDEX = _patch_switch(
    "CRM_DEV_MONGOECO_EXPR_INDEX",
    "serves equality / `$in` of strings on a declared index's first key from that index",
)
MULTIKEY = _patch_switch(
    "CRM_DEV_MONGOECO_MULTIKEY",
    "keeps the element index for array fields leading a compound index (free-text search, tags)",
)
SHARED_INDEX = _patch_switch(
    "CRM_DEV_MONGOECO_SHARED_INDEX",
    "shares one physical SQLite index per index shape across collections",
)
COUNT = _patch_switch(
    "CRM_DEV_MONGOECO_COUNT", "answers the driver's count pipelines with SQL `COUNT(*)`"
)
BULK_INSERT = _patch_switch(
    "CRM_DEV_MONGOECO_BULK_INSERT", "runs a multi-document `insert` through the batch path"
)
FEATURES = _patch_switch(
    "CRM_DEV_MONGOECO_FEATURES",
    "keeps the engine's per-collection facts across writes",
)

ALL: tuple[Switch, ...] = (
    MONGO_PORT,
    MONGO_DATA,
    CHANGE_OUTBOX_MAX_ENTRIES,
    UNPATCHED,
    TRANSACTION_LIFETIME_SECONDS,
    BUSY_TIMEOUT_SECONDS,
    ID_UNIQUENESS,
    ABSENT_ID,
    EXPR_INDEX,
    MULTIKEY,
    SHARED_INDEX,
    COUNT,
    BULK_INSERT,
    FEATURES,
)


def table() -> str:
    """The switches as a Markdown table (variable, default, meaning)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.name}` | {s.default} | {s.meaning} |" for s in ALL]
    return "\n".join(rows)
