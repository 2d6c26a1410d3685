"""Client subscriptions: the graphql-transport-ws protocol on `/graphql` (WebSocket).

A connection authenticates once, with `connection_init` (payload `Authorization: Bearer <JWT>`,
or the upgrade request's `Authorization` header). Each `subscribe` is validated and planned like
any operation. A subscription opens one upstream subscription to the subgraph that owns its root
field; every event it sends is completed through the rest of the plan (entity fields from other
subgraphs) and shaped before it goes to the client as `next`. Queries and mutations sent over
the socket run once (`next` then `complete`). Every operation on the socket goes through
persisted queries (APQ, the safelist) as over HTTP. The gateway pings idle clients every
`ws_ping_seconds` and drops connections that stay silent for three intervals.

Close codes follow the protocol: 4400 bad message, 4401 subscribe before ack, 4403 bad token,
4408 no `connection_init` in time, 4409 duplicate id, 4429 second `connection_init`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, NoReturn

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from crm_gateway.edge.forwarding import subgraph_headers
from crm_gateway.edge.persisted import PersistedQueries, PersistedQueryError
from crm_gateway.errors import INTERNAL, gateway_error, subgraph_error, unavailable_error
from crm_gateway.execution.engine import Engine, PreparedOperation, RequestError
from crm_gateway.execution.state import RequestContext
from crm_gateway.runtime import GatewayRuntime
from crm_gateway.settings import GatewaySettings
from crm_gateway.transport.client import SubgraphUnavailable, graphql_body
from crm_gateway.transport.websocket import (
    WS_PROTOCOL,
    SubgraphSubscriptionError,
    subscribe_upstream,
)
from crm_kit.auth import TokenVerifier, bearer_token
from crm_kit.errors import Unauthenticated

logger = logging.getLogger("crm_gateway")


class _Ended(Exception):
    """The operation ended with an `error` message (no `complete` follows)."""


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Subscription:
    engine: Engine
    prepared: PreparedOperation
    coerced: dict[str, Any]
    context: RequestContext


@dataclass
class _Connection:
    websocket: WebSocket
    runtime: GatewayRuntime
    settings: GatewaySettings
    verifier: TokenVerifier
    # APQ and the safelist apply to operations sent over the socket as they do over HTTP
    persisted: PersistedQueries | None = None
    acknowledged: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    operations: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    last_seen: float = field(default_factory=time.monotonic)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    # ---- transport ---------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            if self.websocket.application_state is WebSocketState.CONNECTED:
                await self.websocket.send_text(orjson.dumps(message).decode())

    async def receive(self) -> dict[str, Any]:
        raw = await self.websocket.receive_text()
        self.last_seen = time.monotonic()
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise _Close(4400, "Invalid message received") from exc
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise _Close(4400, "Invalid message received")
        return message

    # ---- lifecycle ---------------------------------------------------------------------

    async def serve(self) -> None:
        heartbeat = asyncio.create_task(self._heartbeat(), name="ws-heartbeat")
        try:
            await self._initialise()
            while True:
                await self._dispatch(await self.receive())
        except _Close as close:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.websocket.close(close.code, close.reason)
        except WebSocketDisconnect:
            pass
        finally:
            heartbeat.cancel()
            for task in self.operations.values():
                task.cancel()
            await asyncio.gather(heartbeat, *self.operations.values(), return_exceptions=True)

    async def _initialise(self) -> None:
        try:
            async with asyncio.timeout(self.settings.ws_init_timeout_seconds):
                message = await self.receive()
        except TimeoutError as exc:
            raise _Close(4408, "Connection initialisation timeout") from exc
        if message["type"] != "connection_init":
            raise _Close(4401, "Unauthorized")
        payload = message.get("payload")
        params = payload if isinstance(payload, dict) else {}
        authorization = params.get("Authorization") or params.get("authorization")
        if not isinstance(authorization, str) or not authorization:
            authorization = self.websocket.headers.get("authorization")
        try:
            if self.settings.auth_required or authorization:
                await self.verifier.verify(bearer_token(authorization))
        except Unauthenticated as exc:
            raise _Close(4403, "Forbidden") from exc
        self.headers = subgraph_headers(
            self.websocket.headers,
            self.websocket.client.host if self.websocket.client else None,
            self.settings.trusted_proxy_hops,
            authorization=authorization,
            traceparent=self.websocket.headers.get("traceparent"),
        )
        self.acknowledged = True
        await self.send({"type": "connection_ack"})

    async def _heartbeat(self) -> None:
        interval = self.settings.ws_ping_seconds
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - self.last_seen > 3 * interval:
                with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                    await self.websocket.close(4408, "Heartbeat timeout")
                return
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await self.send({"type": "ping"})

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "connection_init":
            raise _Close(4429, "Too many initialisation requests")
        elif kind == "subscribe":
            operation_id = message.get("id")
            payload = message.get("payload")
            if (
                not isinstance(operation_id, str)
                or not operation_id
                or not isinstance(payload, dict)
            ):
                raise _Close(4400, "Invalid message received")
            if operation_id in self.operations:
                raise _Close(4409, f"Subscriber for {operation_id} already exists")
            task = asyncio.create_task(self._operation(operation_id, payload))
            self.operations[operation_id] = task
            task.add_done_callback(self._forget)
        elif kind == "complete":
            running = self.operations.pop(str(message.get("id")), None)
            if running is not None:
                running.cancel()
        else:
            raise _Close(4400, f"Unexpected message type {kind!r}")

    def _forget(self, task: asyncio.Task[None]) -> None:
        for key, running in list(self.operations.items()):
            if running is task:
                del self.operations[key]

    # ---- one operation -----------------------------------------------------------------

    async def _operation(self, operation_id: str, payload: dict[str, Any]) -> None:
        try:
            await self._execute(operation_id, payload)
        except _Ended:
            return
        except asyncio.CancelledError:
            raise  # completed by the client or the connection closed: nothing more to send
        except Exception:
            request_id = uuid.uuid4().hex
            logger.exception("subscription failed", extra={"request_id": request_id})
            error = gateway_error("Internal server error", INTERNAL, requestId=request_id)
            await self.send({"id": operation_id, "type": "error", "payload": [error]})
            return
        await self.send({"id": operation_id, "type": "complete"})

    async def _execute(self, operation_id: str, payload: dict[str, Any]) -> None:
        engine = self.runtime.engine
        query = await self._query(operation_id, payload)
        variables = payload.get("variables")
        operation_name = payload.get("operationName")
        if engine is None or not isinstance(query, str) or not query.strip():
            message = "No query was sent" if engine else "The supergraph is not loaded yet"
            await self._error(operation_id, [gateway_error(message, "BAD_REQUEST")])
        if variables is not None and not isinstance(variables, dict):
            message = "'variables' must be an object"
            await self._error(operation_id, [gateway_error(message, "BAD_REQUEST")])
        name = operation_name if isinstance(operation_name, str) and operation_name else None
        request_id = uuid.uuid4().hex
        context = RequestContext(
            variables=variables or {},
            headers={**self.headers, "x-request-id": request_id},
            request_id=request_id,
        )
        try:
            prepared = engine.prepare(query, name)
            coerced = engine.coerce_variables(prepared, variables)
            engine.check_cost(prepared, variables)
        except RequestError as exc:
            await self._error(operation_id, exc.errors)
        if prepared.plan.operation_type != "subscription":
            result = await engine.run(query, name, variables, context)
            await self.send({"id": operation_id, "type": "next", "payload": result})
            return
        await self._subscribe(operation_id, _Subscription(engine, prepared, coerced, context))

    async def _query(self, operation_id: str, payload: dict[str, Any]) -> Any:
        """The payload's query text, resolved through persisted queries when they are on (an
        operation the safelist does not list ends with an `error` message)."""
        query = payload.get("query")
        if self.persisted is None:
            return query
        try:
            return self.persisted.resolve(query, payload.get("extensions"))
        except PersistedQueryError as exc:
            await self._error(operation_id, [exc.error])

    async def _subscribe(self, operation_id: str, subscription: _Subscription) -> None:
        """One upstream subscription to the subgraph of the root field; each event completed
        through the plan's entity fetches and sent as `next`."""
        engine, context = subscription.engine, subscription.context
        root_node = next(n for n in subscription.prepared.plan.fetch_nodes() if not n.is_entity)
        root = root_node.fetches[0]
        subgraph = engine.supergraph.subgraphs[root.subgraph]
        variables = {k: context.variables[k] for k in root.variables if k in context.variables}
        upstream = subscribe_upstream(
            subgraph,
            graphql_body(root_node.operation, variables, root_node.operation_name),
            headers=context.headers,
            connect_timeout=self.settings.subgraph_timeout_seconds,
        )
        try:
            async with contextlib.aclosing(upstream):
                async for event in upstream:
                    result = await engine.event_response(
                        subscription.prepared, subscription.coerced, event, context
                    )
                    await self.send({"id": operation_id, "type": "next", "payload": result})
        except SubgraphSubscriptionError as exc:
            errors = [
                subgraph_error(e, subgraph.name, context.request_id, None) for e in exc.errors
            ]
            await self._error(operation_id, errors)
        except SubgraphUnavailable as exc:
            logger.warning(
                "subgraph subscription unavailable",
                extra={
                    "subgraph": subgraph.name,
                    "reason": exc.reason,
                    "request_id": context.request_id,
                },
            )
            key = next(root.selection.response_keys(), None)
            error = unavailable_error(subgraph.name, [key] if key else None)
            await self.send(
                {"id": operation_id, "type": "next", "payload": {"data": None, "errors": [error]}}
            )

    async def _error(self, operation_id: str, errors: list[dict[str, Any]]) -> NoReturn:
        await self.send({"id": operation_id, "type": "error", "payload": errors})
        raise _Ended


class SubscriptionEndpoint:
    """`/graphql` over WebSocket (graphql-transport-ws)."""

    def __init__(
        self,
        runtime: GatewayRuntime,
        settings: GatewaySettings,
        verifier: TokenVerifier,
        persisted: PersistedQueries | None = None,
    ) -> None:
        self.runtime = runtime
        self.settings = settings
        self.verifier = verifier
        self.persisted = persisted

    async def serve(self, websocket: WebSocket) -> None:
        if WS_PROTOCOL not in websocket.scope.get("subprotocols", []):
            await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=WS_PROTOCOL)
        await _Connection(
            websocket, self.runtime, self.settings, self.verifier, self.persisted
        ).serve()
