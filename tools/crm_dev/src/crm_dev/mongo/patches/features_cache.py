"""Keep the embedded engine's facts about a collection's documents across writes.

Why: mongoeco 4.11.0 plans every read and update with facts it caches per collection — "does
field f hold an array anywhere", "a tagged bytes / undefined / decimal value" — and drops all
of a collection's facts on every insert or update. The next command re-derives them with
`SELECT 1 … LIMIT 1` queries whose usual answer is "no", i.e. a scan of the whole collection.
Profile of createCustomer at 5,000 customers (`bench.run`): about 40 % of the server's CPU
was those scans (`_field_contains_tagged_value_type_in_collection`,
`_field_is_top_level_array_in_collection`), so every write slowed every following command
in proportion to the collection's size.

What: a TEMP trigger on each of the engine's SQLite connections hands every inserted or
updated document to Python. The facts this patch can check on one document — `top_level_array`,
`traverses_array`, `tagged_type` and `sort_unsafe` (mongoeco_expr_index_patch) — are kept and
updated from it (a "no" becomes "yes" when the new document has the feature; a "yes" stays,
which is only ever slower, never wrong: a rolled-back or deleted document can leave a stale
"yes"); any other fact of the collection is dropped as before. The engine's own invalidation
after such a write then keeps the checked facts. Deletes, index and namespace changes
invalidate as before. If a connection cannot get the trigger, the patch turns itself off.
Switch: `CRM_DEV_MONGOECO_FEATURES=0`. Pinned to mongoeco 4.11.0 like the other patches;
`tests/infra/test_mongo_features_cache.py`.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from typing import Any

import orjson

from crm_dev.mongo.patches.expr_index import SORT_UNSAFE_TYPES
from crm_dev.mongo.patches.id_uniqueness import enabled, install, installed

SWITCH = "CRM_DEV_MONGOECO_FEATURES"
KEPT_KINDS = ("top_level_array", "traverses_array", "tagged_type", "sort_unsafe")
_PLAIN = re.compile(r"^[A-Za-z0-9_]+$")
_MISSING = object()
_TRIGGERS = (
    "CREATE TEMP TRIGGER IF NOT EXISTS crm_dev_features_insert AFTER INSERT ON main.documents "
    "BEGIN SELECT crm_dev_document_written(NEW.db_name, NEW.coll_name, NEW.document); END",
    "CREATE TEMP TRIGGER IF NOT EXISTS crm_dev_features_update AFTER UPDATE OF document ON "
    "main.documents BEGIN SELECT crm_dev_document_written(NEW.db_name, NEW.coll_name, "
    "NEW.document); END",
)


class _State(threading.local):
    def __init__(self) -> None:
        self.written: set[tuple[str, str]] = set()


def _value_at(document: Any, parts: list[str]) -> Any:
    """What SQLite's JSON path `$.a.b` / `$.a[0]` finds in `document`, or _MISSING."""
    current = document
    for part in parts:
        if part.isdigit():
            if not isinstance(current, list) or int(part) >= len(current):
                return _MISSING
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def has_feature(document: Any, fact: str) -> bool | None:
    """Whether `document` has the feature the fact names; None when this patch cannot tell."""
    kind, _, rest = fact.partition(":")
    if kind == "tagged_type":
        field, _, value_type = rest.rpartition(":")
    else:
        field, value_type = rest, ""
    parts = field.split(".")
    if not field or not all(_PLAIN.match(p) for p in parts):
        return None
    if kind == "top_level_array":
        return isinstance(_value_at(document, parts), list)
    if kind == "traverses_array":  # any non-index prefix above the leaf holds an array
        return any(
            isinstance(_value_at(document, parts[: i + 1]), list)
            for i in range(len(parts) - 1)
            if not parts[i].isdigit()
        )
    if kind == "tagged_type":
        from mongoeco.core.codec import DocumentCodec

        tag = _value_at(document, [*parts, DocumentCodec._MARKER, DocumentCodec._TYPE])
        return tag is not _MISSING and tag == value_type
    if kind == "sort_unsafe":  # an array, or an object SQLite cannot order (expr_index patch)
        from mongoeco.core.codec import DocumentCodec

        if any(p.isdigit() for p in parts):
            return None
        value = _value_at(document, parts)
        if isinstance(value, list):
            return True
        if not isinstance(value, dict):
            return False
        tag = _value_at(value, [DocumentCodec._MARKER, DocumentCodec._TYPE])
        if tag is _MISSING or tag is None:  # SQL: COALESCE(json_extract(...), '') = ''
            return True
        return isinstance(tag, str) and tag in SORT_UNSAFE_TYPES
    return None


def apply() -> bool:
    """Install the patch on mongoeco's SQLite engine; False if not applied."""
    from mongoeco.engines.sqlite import SQLiteEngine

    if not enabled(SWITCH):
        return False
    if installed(SQLiteEngine, "_invalidate_collection_features_cache"):
        return True
    state = _State()
    off = threading.Event()  # a connection without the trigger: invalidate as mongoeco does

    def document_written(engine: Any, db_name: str, coll_name: str, text: str) -> None:
        state.written.add((db_name, coll_name))
        cache: dict[tuple[str, str, str], Any] = engine._collection_features_cache
        facts = [k for k in list(cache) if k[0] == db_name and k[1] == coll_name]
        if not facts:
            return
        document: Any = _MISSING
        for key in facts:
            fact = key[2]
            value = cache.get(key)
            if fact.partition(":")[0] not in KEPT_KINDS:
                cache.pop(key, None)
                continue
            if value is True:
                continue
            if document is _MISSING:
                try:
                    document = orjson.loads(text)
                except orjson.JSONDecodeError:
                    document = None
            found = None if document is None else has_feature(document, fact)
            if found is None:
                cache.pop(key, None)
            elif found:
                cache[key] = True

    def add_trigger(engine: Any, connection: sqlite3.Connection) -> bool:
        def written(db_name: str, coll_name: str, text: str) -> None:
            try:
                document_written(engine, db_name, coll_name, text)
            except Exception:  # never fail the write: forget the collection's facts instead
                engine._invalidate_collection_features_cache(db_name, coll_name)
                off.set()

        connection.create_function("crm_dev_document_written", 3, written)
        try:
            for statement in _TRIGGERS:
                connection.execute(statement)
        except sqlite3.OperationalError:  # no documents table yet
            return False
        return True

    original_create = SQLiteEngine._create_sqlite_connection

    @functools.wraps(original_create)
    def create_sqlite_connection(self: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = original_create(self)
        if not add_trigger(self, connection):
            pending = self.__dict__.setdefault("_crm_dev_untriggered", [])
            pending.append(connection)
        return connection

    original_connect = SQLiteEngine._connect_sync

    @functools.wraps(original_connect)
    def connect_sync(self: Any) -> None:
        original_connect(self)
        # the first connection was made before the schema: give it the trigger now
        for connection in self.__dict__.pop("_crm_dev_untriggered", []):
            try:
                triggered = add_trigger(self, connection)
            except sqlite3.ProgrammingError:  # closed meanwhile: no writes to miss
                continue
            if not triggered:
                off.set()

    original_invalidate = SQLiteEngine._invalidate_collection_features_cache

    @functools.wraps(original_invalidate)
    def invalidate(self: Any, db_name: str | None = None, coll_name: str | None = None) -> None:
        key = (db_name, coll_name)
        if off.is_set() or db_name is None or coll_name is None or key not in state.written:
            original_invalidate(self, db_name, coll_name)
            return
        state.written.discard(key)  # type: ignore[arg-type]
        cache: dict[tuple[str, str, str], Any] = self._collection_features_cache
        for fact in [k for k in list(cache) if k[0] == db_name and k[1] == coll_name]:
            if fact[2].partition(":")[0] not in KEPT_KINDS:
                cache.pop(fact, None)

    install(SQLiteEngine, "_create_sqlite_connection", create_sqlite_connection)
    install(SQLiteEngine, "_connect_sync", connect_sync)
    install(SQLiteEngine, "_invalidate_collection_features_cache", invalidate)
    return True
