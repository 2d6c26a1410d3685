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
unchanged. Pinned to mongoeco 4.11.0 like the other patches;
`tests/infra/test_mongo_bulk_insert.py` checks results, duplicate handling and the speed-up.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

from crm_dev.mongo.patches.id_uniqueness import enabled, install, installed

SWITCH = "CRM_DEV_MONGOECO_BULK_INSERT"  # "0": measure without it


def apply() -> bool:
    if not enabled(SWITCH):
        return False
    from mongoeco.errors import BulkWriteError

    commands: Any = importlib.import_module("mongoeco.api._async._database_admin_write_commands")
    types: Any = importlib.import_module("mongoeco.types")
    service = commands.DatabaseAdminWriteCommandService
    if installed(service, "command_insert"):
        return True
    original = service.command_insert

    @functools.wraps(original)
    async def command_insert(self: Any, spec: dict[str, object], *, session: Any = None) -> Any:
        documents = spec.get("documents")
        if (
            (session is not None and session.in_transaction)
            or not isinstance(documents, list)
            or len(documents) < 2
            or spec.get("bypassDocumentValidation")
            or not commands.write_command_acknowledged(
                spec, dialect=self._admin._mongodb_dialect.key
            )
        ):
            return await original(self, spec, session=session)
        name = self._admin._require_collection_name(spec.get("insert"), "insert")
        normalized = self._admin._normalize_insert_documents(documents)
        ordered = self._admin._normalize_ordered_from_command(spec.get("ordered"))
        collection = self._admin._database.get_collection(name)
        errors: list[Any] = []
        try:
            result = await collection.insert_many(normalized, ordered=ordered, session=session)
            count = len(result.inserted_ids)
        except BulkWriteError as exc:
            details: dict[str, Any] = dict(getattr(exc, "details", None) or {})
            count = int(details.get("nInserted", 0))
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
        return commands._write_command_result(
            types.WriteCommandResult(count=count, write_errors=errors or None), acknowledged=True
        )

    install(service, "command_insert", command_insert)
    return True
