"""One physical SQLite index per index shape, not per collection, on the embedded server.

Why: mongoeco 4.11.0 keeps every collection's documents in one SQLite table (`documents`) and
array elements in another (`multikey_entries`), and creates a physical SQLite index per
declared index *per collection*: `CREATE INDEX idx_<hash(db, coll, name)> ON documents
(db_name, coll_name, <expressions of the keys>)`, and one on `multikey_entries` per multikey
index (and on `scalar_index_entries` per single-field index), all on the same columns. Each of
those indexes covers every row of the shared table, so every insert updates all of them. A test
session, which makes a database per test, reached 833 indexes on `documents` and 832 on
`multikey_entries`; an import of 40 customers then took 53 s and one timed out (each document
and each array element was written into every index).

What: the physical name of a documents index is derived from its key pattern only
(`crm_dev_idx_<hash(keys)>`), so collections declaring the same keys share one SQLite index
(its columns start with `db_name, coll_name`, so each collection still seeks only its own
rows); all multikey indexes share `crm_dev_multikey_entries` and all single-field indexes
`crm_dev_scalar_entries` (their columns start with `collection_id, index_name`). Creating such
an index creates the physical one only if it is missing, and dropping one collection's index
leaves the shared physical index in place (mongoeco deletes that collection's rows and entries
as before). Indexes created before the patch keep their names. Switch:
`CRM_DEV_MONGOECO_SHARED_INDEX=0`. Written against mongoeco 4.11.0;
`tests/infra/test_mongo_multikey.py` (a shared index survives a drop and still serves the other
collections).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

ENGINE = "mongoeco.engines.sqlite.SQLiteEngine"
CREATE_INDEX = "mongoeco.engines.sqlite._sqlite_create_index"
MULTIKEY_NAME = f"{ENGINE}._physical_multikey_index_name"
SCALAR_NAME = f"{ENGINE}._physical_scalar_index_name"
EXECUTE = "mongoeco.engines._sqlite_connection.SQLiteConnection.execute"
SHARED_MULTIKEY = "crm_dev_multikey_entries"
SHARED_SCALAR = "crm_dev_scalar_entries"
PREFIX = "crm_dev_"


def physical_name(keys: Any) -> str:
    """The shared physical name of a documents index with this key pattern."""
    pattern = [(str(field), int(direction)) for field, direction in _pairs(keys)]
    digest = hashlib.sha1(repr(pattern).encode()).hexdigest()[:16]
    return f"{PREFIX}idx_{digest}"


def _pairs(keys: Any) -> list[tuple[Any, Any]]:
    if isinstance(keys, dict):
        return list(keys.items())
    if isinstance(keys, str):
        return [(keys, 1)]
    return [(k, 1) if isinstance(k, str) else (k[0], k[1]) for k in keys]


def _creating(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_index(*args: Any, **kwargs: Any) -> Any:
        try:
            name = physical_name(kwargs["keys"])
        except (KeyError, TypeError, ValueError, IndexError):
            return original(*args, **kwargs)  # a shape this patch does not know
        kwargs["physical_index_name"] = lambda db_name, coll_name, index_name: name
        return original(*args, **kwargs)

    return create_index


def multikey_name(self: Any, db_name: str, coll_name: str, index_name: str) -> str:
    return SHARED_MULTIKEY


def scalar_name(self: Any, db_name: str, coll_name: str, index_name: str) -> str:
    return SHARED_SCALAR


def _executing(original: Callable[..., Any]) -> Callable[..., Any]:
    def execute(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        if sql.startswith(f'CREATE INDEX "{PREFIX}'):
            sql = "CREATE INDEX IF NOT EXISTS " + sql.removeprefix("CREATE INDEX ")
        elif sql.startswith(f'DROP INDEX IF EXISTS "{PREFIX}'):
            return original(self, "SELECT 0 WHERE 0")  # other collections use it
        return original(self, sql, *args, **kwargs)

    return execute


def build(originals: Originals) -> Replacements:
    return {
        CREATE_INDEX: _creating(originals[CREATE_INDEX]),
        MULTIKEY_NAME: multikey_name,
        SCALAR_NAME: scalar_name,
        EXECUTE: _executing(originals[EXECUTE]),
    }


PATCH = Patch(
    name="shared_index",
    written_for="4.11.0",
    targets=(CREATE_INDEX, MULTIKEY_NAME, SCALAR_NAME, EXECUTE),
    build=build,
    switch=switches.SHARED_INDEX,
)
