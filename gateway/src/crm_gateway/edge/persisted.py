"""Persisted operations: automatic persisted queries (APQ) and a safelist.

APQ (Apollo's protocol): a client sends `extensions.persistedQuery = {version: 1, sha256Hash}`
without the query; the gateway answers `PERSISTED_QUERY_NOT_FOUND` until the client sends the
query once with its hash, which is checked and remembered (LRU, per gateway instance).

Safelist mode (a manifest file is configured): only registered operations run, over HTTP and
WebSocket alike. Clients may send an operation's id alone (in `sha256Hash`) or its full text;
anything else is refused with `FORBIDDEN`. The manifest is one of:

- an Apollo persisted query manifest, as `@apollo/generate-persisted-query-manifest` and
  `rover persisted-queries generate` write it: `{"format": "apollo-persisted-query-manifest",
  "version": 1, "operations": [{"id", "name", "type", "body"}, ...]}`. An operation runs by its
  `id` (what Apollo Client's persisted-query link sends, which need not be a sha256 when the
  manifest was generated with `createOperationId`), by the sha256 of its body, or as its body;
- a JSON object `{sha256: query}` or a JSON list of query strings (keyed by their sha256).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import orjson

from crm_gateway.errors import ErrorDict, gateway_error

APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"
APOLLO_MANIFEST_VERSION = 1
OPERATION_TYPES = frozenset({"query", "mutation", "subscription"})


class PersistedQueryError(Exception):
    def __init__(self, error: ErrorDict) -> None:
        super().__init__(error["message"])
        self.error = error


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


def load_manifest(path: str) -> dict[str, str]:
    """Read a safelist manifest into `{operation id: query}` (a manifest operation is also
    listed under the sha256 of its body); raise ValueError when malformed."""
    raw: Any = orjson.loads(Path(path).read_bytes())
    if isinstance(raw, dict) and ("format" in raw or isinstance(raw.get("operations"), list)):
        return apollo_manifest(raw)
    if isinstance(raw, dict):
        for key, body in raw.items():
            if not isinstance(body, str):
                raise ValueError(f"safelist entry {key!r} is not a query string")
        return {sha256_hex(body): body for body in raw.values()}
    if isinstance(raw, list) and all(isinstance(body, str) for body in raw):
        return {sha256_hex(body): body for body in raw}
    raise ValueError("the safelist must be an object, a list of queries or a manifest")


def apollo_manifest(raw: dict[str, Any]) -> dict[str, str]:
    """The operations of an Apollo persisted query manifest, by id and by body hash. A file
    without `format` (only `operations`) is read the same way."""
    if "format" in raw and raw["format"] != APOLLO_MANIFEST_FORMAT:
        raise ValueError(f"unknown manifest format {raw['format']!r}")
    if raw.get("version", APOLLO_MANIFEST_VERSION) != APOLLO_MANIFEST_VERSION:
        # a later version may change what the fields mean: refuse rather than guess
        raise ValueError(f"unsupported manifest version {raw.get('version')!r}")
    operations = raw.get("operations")
    if not isinstance(operations, list):
        raise ValueError("the manifest needs a list 'operations'")
    listed: dict[str, str] = {}
    for index, item in enumerate(operations):
        operation_id, body = _manifest_operation(index, item)
        if listed.get(operation_id, body) != body:
            raise ValueError(f"manifest id {operation_id!r} names two different operations")
        listed[operation_id] = body
        listed.setdefault(sha256_hex(body), body)
    return listed


def _manifest_operation(index: int, item: Any) -> tuple[str, str]:
    """One manifest entry's id (the sha256 of its body when it has none) and body."""
    body = item.get("body") if isinstance(item, dict) else None
    if not isinstance(body, str) or not body.strip():
        raise ValueError(f"manifest operation {index} needs a string 'body'")
    operation_id = item.get("id", sha256_hex(body))
    if not isinstance(operation_id, str) or not operation_id:
        raise ValueError(f"manifest operation {index} needs a string 'id'")
    kind = item.get("type", "query")
    if kind not in OPERATION_TYPES:
        raise ValueError(f"manifest operation {index} has an unknown type {kind!r}")
    return operation_id, body


class PersistedQueries:
    def __init__(
        self, *, apq: bool = True, cache_size: int = 10000, safelist: dict[str, str] | None = None
    ) -> None:
        self.apq = apq
        self.cache_size = cache_size
        self.safelist = safelist
        self._cache: OrderedDict[str, str] = OrderedDict()

    def resolve(self, query: Any, extensions: Any) -> str | None:
        """The query text to run (None: no query at all), or PersistedQueryError."""
        digest = self._digest(extensions)
        if isinstance(query, str) and query:
            return self._text(query, digest)
        if digest is None:
            return None
        if self.safelist is not None:
            listed = self._listed(digest)
            if listed is None:
                raise PersistedQueryError(
                    gateway_error("This operation is not in the safelist", "FORBIDDEN")
                )
            return listed
        known = self._cache.get(digest.lower())
        if known is None:
            raise PersistedQueryError(
                gateway_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            )
        self._cache.move_to_end(digest.lower())
        return known

    def _listed(self, digest: str) -> str | None:
        """The safelisted query of an id: as sent (manifest ids may be any string), or as a
        lowercase hex hash; None without a safelist."""
        if self.safelist is None:
            return None
        return self.safelist.get(digest) or self.safelist.get(digest.lower())

    def _digest(self, extensions: Any) -> str | None:
        """The hash or id of `extensions.persistedQuery` (None when there is none)."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if not isinstance(persisted, dict):
            return None
        if not self.apq and self.safelist is None:
            raise PersistedQueryError(
                gateway_error("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
            )
        value = persisted.get("sha256Hash")
        if persisted.get("version", 1) != 1 or not isinstance(value, str) or not value:
            raise PersistedQueryError(
                gateway_error("Unsupported persisted query version or hash", "BAD_REQUEST")
            )
        return value

    def _text(self, query: str, digest: str | None) -> str:
        """A query sent as text: checked against its hash (or manifest id) and the safelist,
        remembered."""
        text_digest = sha256_hex(query)
        if digest is not None and not self._identifies(digest, query, text_digest):
            raise PersistedQueryError(
                gateway_error("provided sha does not match query", "BAD_REQUEST")
            )
        if self.safelist is not None and text_digest not in self.safelist:
            raise PersistedQueryError(
                gateway_error("This operation is not in the safelist", "FORBIDDEN")
            )
        if digest is not None and self.apq:
            self._remember(text_digest, query)
        return query

    def _identifies(self, digest: str, query: str, text_digest: str) -> bool:
        """Whether `digest` names `query`: its sha256, or its id in the safelist."""
        return digest.lower() == text_digest or self._listed(digest) == query

    def _remember(self, digest: str, query: str) -> None:
        self._cache[digest] = query
        self._cache.move_to_end(digest)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
