"""Serve a multi-document wire `insert` command through mongoeco's batch insert path.

Why: mongoeco 4.11.0's wire `insert` command handler loops over the documents and calls
`collection.insert_one` for each — one engine write, one SQLite commit and one worker
thread per document (measured: ~3.5-6 ms per document, 1,000 documents per ~5 s, so the
benchmark's 5,000 customers and 100,000 interaction documents took far longer than its
15-minute budget). The collection API's own `insert_many` already has a batched engine
path (`engine_insert_documents`: documents prepared in blocks, one publication).

What: for an acknowledged, non-transactional `insert` with two or more documents and no
`bypassDocumentValidation`, call `collection.insert_many` and translate its
`BulkWriteError` (ordered/unordered semantics, `nInserted`, per-index write errors) into
the same command reply the loop builds. Everything else — single documents, inserts inside
a transaction (the services' write path), unacknowledged writes — goes through mongoeco
unchanged. Switch: `CRM_DEV_MONGOECO_BULK_INSERT=0`. Written against mongoeco 4.11.0;
`tests/infra/test_mongo_bulk_insert.py` checks results, duplicate handling and the speed-up.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

COMMANDS = "mongoeco.api._async._database_admin_write_commands"
INSERT = f"{COMMANDS}.DatabaseAdminWriteCommandService.command_insert"


def _batched(service: Any, spec: dict[str, object], session: Any) -> bool:
    """Whether the batch path answers this `insert` exactly as the per-document loop would."""
    commands: Any = importlib.import_module(COMMANDS)
    documents = spec.get("documents")
    return not (
        (session is not None and session.in_transaction)
        or not isinstance(documents, list)
        or len(documents) < 2
        or spec.get("bypassDocumentValidation")
        or not commands.write_command_acknowledged(
            spec, dialect=service._admin._mongodb_dialect.key
        )
    )


def _write_errors(details: dict[str, Any]) -> list[Any]:
    """A `BulkWriteError`'s write errors as the command reply's entries."""
    types: Any = importlib.import_module("mongoeco.types")
    errors: list[Any] = []
    for entry in details.get("writeErrors", []):
        extra = {k: v for k, v in entry.items() if k not in ("index", "errmsg", "code")}
        errors.append(
            types.WriteErrorEntry(
                index=int(entry["index"]),
                errmsg=str(entry.get("errmsg", "")),
                code=entry.get("code"),
                details=extra or None,
            )
        )
    return errors


async def _insert_many(service: Any, spec: dict[str, object], session: Any) -> Any:
    """The `insert` command through `insert_many`, with the loop's reply."""
    from mongoeco.errors import BulkWriteError

    commands: Any = importlib.import_module(COMMANDS)
    types: Any = importlib.import_module("mongoeco.types")
    admin = service._admin
    name = admin._require_collection_name(spec.get("insert"), "insert")
    normalized = admin._normalize_insert_documents(spec.get("documents"))
    ordered = admin._normalize_ordered_from_command(spec.get("ordered"))
    collection = admin._database.get_collection(name)
    errors: list[Any] = []
    try:
        result = await collection.insert_many(normalized, ordered=ordered, session=session)
        count = len(result.inserted_ids)
    except BulkWriteError as exc:
        details: dict[str, Any] = dict(getattr(exc, "details", None) or {})
        count = int(details.get("nInserted", 0))
        errors = _write_errors(details)
    return commands._write_command_result(
        types.WriteCommandResult(count=count, write_errors=errors or None), acknowledged=True
    )


def build(originals: Originals) -> Replacements:
    original = originals[INSERT]

    @functools.wraps(original)
    async def command_insert(self: Any, spec: dict[str, object], *, session: Any = None) -> Any:
        if not _batched(self, spec, session):
            return await original(self, spec, session=session)
        return await _insert_many(self, spec, session)

    return {INSERT: command_insert}


PATCH = Patch(
    name="bulk_insert",
    written_for="4.11.0",
    targets=(INSERT,),
    build=build,
    switch=switches.BULK_INSERT,
)
