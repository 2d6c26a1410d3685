"""The seed's one way in: GraphQL over HTTP to the gateway, as a client application would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson


class SeedError(RuntimeError):
    """The gateway refused a seed request; the message is its first error."""


@dataclass(slots=True)
class GatewayClient:
    http: httpx.AsyncClient
    url: str

    async def call(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(self.url, json={"query": query, "variables": variables})
        return self._data(response)

    async def upload(self, query: str, variables: dict[str, Any], name: str, body: bytes) -> Any:
        """A GraphQL multipart request whose `$file` variable is `body`."""
        operations = {"query": query, "variables": variables | {"file": None}}
        form = {
            "operations": orjson.dumps(operations).decode(),
            "map": orjson.dumps({"0": ["variables.file"]}).decode(),
        }
        files = {"0": (name, body, "text/csv")}
        response = await self.http.post(self.url, data=form, files=files)
        return self._data(response)

    @staticmethod
    def _data(response: httpx.Response) -> Any:
        body = response.json()
        if body.get("errors"):
            raise SeedError(body["errors"][0]["message"])
        return body["data"]
