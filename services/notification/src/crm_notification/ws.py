"""graphql-transport-ws for `notificationReceived`, authenticated from the `connection_init`
payload (`{"Authorization": "Bearer <JWT>"}`) as browsers cannot set headers on a WebSocket.

crm_kit's SubgraphView reads only the upgrade request's headers; this subclass adds the
connection_init path. (Proposed for crm_kit: give RequestContext a `connection_params` field
and verify it in SubgraphView.on_ws_connect, then this module can go.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from crm_kit.auth import TokenVerifier, bearer_token
from crm_kit.errors import CrmError
from crm_kit.graphql import RequestContext
from crm_kit.service import SubgraphView


@dataclass
class WsRequestContext[D](RequestContext[D]):
    connection_params: dict[str, Any] | None = field(default=None)


class NotificationView[D](SubgraphView[D]):
    def __init__(self, schema: Any, deps: D, verifier: TokenVerifier) -> None:
        super().__init__(schema, deps, verifier)
        self._ws_verifier = verifier

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext[D]:
        base = await super().get_context(request, response)
        if not isinstance(request, WebSocket):
            return base
        return WsRequestContext(
            deps=base.deps, request_id=base.request_id, principal_or_error=base.principal_or_error
        )

    async def on_ws_connect(
        self, context: RequestContext[D]
    ) -> UnsetType | dict[str, object] | None:
        params = getattr(context, "connection_params", None) or {}
        raw = params.get("Authorization") or params.get("authorization")
        if raw is None:
            if isinstance(context.principal_or_error, CrmError):
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
            return None
        try:
            context.principal_or_error = await self._ws_verifier.verify(bearer_token(str(raw)))
        except CrmError as exc:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": exc.message}
            ) from exc
        return None
