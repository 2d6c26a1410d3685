"""`/healthz` (the process answers), `/readyz` (a supergraph is loaded and every subgraph
answers) and `/metrics` (Prometheus text)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from crm_gateway.edge.requests import json_response
from crm_gateway.runtime import GatewayRuntime


class Probes:
    def __init__(self, runtime: GatewayRuntime) -> None:
        self.runtime = runtime

    async def healthz(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        ready, body = await self.runtime.readiness()
        return json_response(body, 200 if ready else 503)

    async def metrics(self, request: Request) -> Response:
        return Response(self.runtime.metrics.render(), media_type="text/plain; version=0.0.4")
