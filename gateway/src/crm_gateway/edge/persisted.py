"""Persisted operations: automatic persisted queries (APQ) and a safelist.

APQ (Apollo's protocol): a client sends `extensions.persistedQuery = {version: 1, sha256Hash}`
without the query; the gateway answers `PERSISTED_QUERY_NOT_FOUND` until the client sends the
query once with its hash, which is checked and remembered (LRU, per gateway instance).

Safelist mode (a manifest file is configured): only registered operations run. Clients may
send the hash alone or the full text; text whose sha256 is not in the manifest is refused with
`FORBIDDEN`. The manifest is a JSON object `{sha256: query}`, a JSON list of query strings, or
an Apollo persisted-query manifest (`{"operations": [{"id", "body"}, ...]}`).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import orjson

from crm_gateway.errors import ErrorDict, gateway_error


class PersistedQueryError(Exception):
    def __init__(self, error: ErrorDict) -> None:
        super().__init__(error["message"])
        self.error = error


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


def load_manifest(path: str) -> dict[str, str]:
    """Read a safelist manifest into `{sha256: query}`; raise ValueError when malformed."""
    raw: Any = orjson.loads(Path(path).read_bytes())
    operations: dict[str, str] = {}
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):
        for item in raw["operations"]:
            body = item.get("body") if isinstance(item, dict) else None
            if not isinstance(body, str):
                raise ValueError("every manifest operation needs a string 'body'")
            operations[sha256_hex(body)] = body
    elif isinstance(raw, dict):
        for key, body in raw.items():
            if not isinstance(body, str):
                raise ValueError(f"safelist entry {key!r} is not a query string")
            operations[sha256_hex(body)] = body
    elif isinstance(raw, list) and all(isinstance(body, str) for body in raw):
        operations = {sha256_hex(body): body for body in raw}
    else:
        raise ValueError("the safelist must be an object, a list of queries or a manifest")
    return operations


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
            listed = self.safelist.get(digest)
            if listed is None:
                raise PersistedQueryError(
                    gateway_error("This operation is not in the safelist", "FORBIDDEN")
                )
            return listed
        known = self._cache.get(digest)
        if known is None:
            raise PersistedQueryError(
                gateway_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            )
        self._cache.move_to_end(digest)
        return known

    def _digest(self, extensions: Any) -> str | None:
        """The hash of `extensions.persistedQuery` (None when there is none)."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if not isinstance(persisted, dict):
            return None
        if not self.apq and self.safelist is None:
            raise PersistedQueryError(
                gateway_error("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
            )
        value = persisted.get("sha256Hash")
        if persisted.get("version", 1) != 1 or not isinstance(value, str):
            raise PersistedQueryError(
                gateway_error("Unsupported persisted query version or hash", "BAD_REQUEST")
            )
        return value.lower()

    def _text(self, query: str, digest: str | None) -> str:
        """A query sent as text: checked against its hash and the safelist, remembered."""
        text_digest = sha256_hex(query)
        if digest is not None and digest != text_digest:
            raise PersistedQueryError(
                gateway_error("provided sha does not match query", "BAD_REQUEST")
            )
        if self.safelist is not None and text_digest not in self.safelist:
            raise PersistedQueryError(
                gateway_error("This operation is not in the safelist", "FORBIDDEN")
            )
        if digest is not None and self.apq:
            self._remember(digest, query)
        return query

    def _remember(self, digest: str, query: str) -> None:
        self._cache[digest] = query
        self._cache.move_to_end(digest)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
