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
`traverses_array`, `tagged_type` and `sort_unsafe` (the expr_index patch) — are kept and
updated from it (a "no" becomes "yes" when the new document has the feature; a "yes" stays,
which is only ever slower, never wrong: a rolled-back or deleted document can leave a stale
"yes"); any other fact of the collection is dropped as before. The engine's own invalidation
after such a write then keeps the checked facts. Deletes, index and namespace changes
invalidate as before. If a connection cannot get the trigger, the patch turns itself off.
Switch: `CRM_DEV_MONGOECO_FEATURES=0`. Written against mongoeco 4.11.0; it wraps the
connection factory after the busy_timeout patch, so a connection waits for locks before it
gets the trigger. `tests/infra/test_mongo_features_cache.py`.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import orjson

from crm_dev.mongo import switches
from crm_dev.mongo.patches.expr_index import SORT_UNSAFE_TYPES
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

ENGINE = "mongoeco.engines.sqlite.SQLiteEngine"
CONNECT = f"{ENGINE}._create_sqlite_connection"
CONNECT_SYNC = f"{ENGINE}._connect_sync"
INVALIDATE = f"{ENGINE}._invalidate_collection_features_cache"
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

type Facts = dict[tuple[str, str, str], Any]


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


def _type_tag(value: Any) -> Any:
    """The `$mongoeco` type tag of a stored value, or _MISSING."""
    from mongoeco.core.codec import DocumentCodec

    return _value_at(value, [DocumentCodec._MARKER, DocumentCodec._TYPE])


def _traverses_array(document: Any, parts: list[str]) -> bool:
    """Any non-index prefix above the leaf holds an array."""
    return any(
        isinstance(_value_at(document, parts[: i + 1]), list)
        for i in range(len(parts) - 1)
        if not parts[i].isdigit()
    )


def _sort_unsafe(document: Any, parts: list[str]) -> bool | None:
    """An array, or an object SQLite cannot order (the expr_index patch's condition)."""
    if any(p.isdigit() for p in parts):
        return None
    value = _value_at(document, parts)
    if isinstance(value, list):
        return True
    if not isinstance(value, dict):
        return False
    tag = _type_tag(value)
    if tag is _MISSING or tag is None:  # SQL: COALESCE(json_extract(...), '') = ''
        return True
    return isinstance(tag, str) and tag in SORT_UNSAFE_TYPES


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
    if kind == "traverses_array":
        return _traverses_array(document, parts)
    if kind == "tagged_type":
        tag = _type_tag(_value_at(document, parts))
        return tag is not _MISSING and tag == value_type
    if kind == "sort_unsafe":
        return _sort_unsafe(document, parts)
    return None


def _collection_facts(cache: Facts, db_name: str, coll_name: str) -> list[tuple[str, str, str]]:
    return [k for k in list(cache) if k[0] == db_name and k[1] == coll_name]


def _update_facts(cache: Facts, db_name: str, coll_name: str, text: str) -> None:
    """Keep the collection's checkable facts, updated with one written document; drop the
    others and those this patch cannot tell."""
    document: Any = _MISSING
    for key in _collection_facts(cache, db_name, coll_name):
        if key[2].partition(":")[0] not in KEPT_KINDS:
            cache.pop(key, None)
            continue
        if cache.get(key) is True:
            continue
        if document is _MISSING:
            try:
                document = orjson.loads(text)
            except orjson.JSONDecodeError:
                document = None
        found = None if document is None else has_feature(document, key[2])
        if found is None:
            cache.pop(key, None)
        elif found:
            cache[key] = True


class _Keeper:
    """The patch's state: which collections this thread wrote (so the engine's invalidation
    after the write keeps the checked facts), and whether it is off (a connection without the
    trigger: invalidate as mongoeco does)."""

    def __init__(self) -> None:
        self.state = _State()
        self.off = threading.Event()

    def add_trigger(self, engine: Any, connection: sqlite3.Connection) -> bool:
        def written(db_name: str, coll_name: str, text: str) -> None:
            try:
                self.state.written.add((db_name, coll_name))
                _update_facts(engine._collection_features_cache, db_name, coll_name, text)
            except Exception:  # never fail the write: forget the collection's facts instead
                engine._invalidate_collection_features_cache(db_name, coll_name)
                self.off.set()

        connection.create_function("crm_dev_document_written", 3, written)
        try:
            for statement in _TRIGGERS:
                connection.execute(statement)
        except sqlite3.OperationalError:  # no documents table yet
            return False
        return True

    def add_pending_triggers(self, engine: Any) -> None:
        """The first connection was made before the schema: give it the trigger now."""
        for connection in engine.__dict__.pop("_crm_dev_untriggered", []):
            try:
                triggered = self.add_trigger(engine, connection)
            except sqlite3.ProgrammingError:  # closed meanwhile: no writes to miss
                continue
            if not triggered:
                self.off.set()

    def keeps(self, db_name: str, coll_name: str) -> bool:
        """Whether this invalidation follows a write the trigger saw (then checked facts stay)."""
        key = (db_name, coll_name)
        if self.off.is_set() or key not in self.state.written:
            return False
        self.state.written.discard(key)
        return True


def _drop_unchecked(cache: Facts, db_name: str, coll_name: str) -> None:
    for fact in _collection_facts(cache, db_name, coll_name):
        if fact[2].partition(":")[0] not in KEPT_KINDS:
            cache.pop(fact, None)


def build(originals: Originals) -> Replacements:
    keeper = _Keeper()
    original_create: Callable[[Any], sqlite3.Connection] = originals[CONNECT]
    original_connect: Callable[[Any], None] = originals[CONNECT_SYNC]
    original_invalidate: Callable[..., None] = originals[INVALIDATE]

    @functools.wraps(original_create)
    def create_sqlite_connection(self: Any) -> sqlite3.Connection:
        connection = original_create(self)
        if not keeper.add_trigger(self, connection):
            self.__dict__.setdefault("_crm_dev_untriggered", []).append(connection)
        return connection

    @functools.wraps(original_connect)
    def connect_sync(self: Any) -> None:
        original_connect(self)
        keeper.add_pending_triggers(self)

    @functools.wraps(original_invalidate)
    def invalidate(self: Any, db_name: str | None = None, coll_name: str | None = None) -> None:
        if db_name is None or coll_name is None or not keeper.keeps(db_name, coll_name):
            original_invalidate(self, db_name, coll_name)
            return
        _drop_unchecked(self._collection_features_cache, db_name, coll_name)

    return {
        CONNECT: create_sqlite_connection,
        CONNECT_SYNC: connect_sync,
        INVALIDATE: invalidate,
    }


PATCH = Patch(
    name="features_cache",
    written_for="4.11.0",
    targets=(CONNECT, CONNECT_SYNC, INVALIDATE),
    build=build,
    after=("busy_timeout",),
    switch=switches.FEATURES,
)
