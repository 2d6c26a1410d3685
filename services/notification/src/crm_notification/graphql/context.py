"""What every resolver gets: the request context over this service's Deps."""

from __future__ import annotations

from strawberry.types import Info as StrawberryInfo

from crm_kit.auth import Principal, Role
from crm_kit.graphql import RequestContext
from crm_notification.deps import Deps

type Context = RequestContext[Deps]
type Info = StrawberryInfo[Context, None]


def require_admin(info: Info) -> Principal:
    """The caller, who must be an ADMIN (FORBIDDEN otherwise)."""
    principal = info.context.principal
    principal.require_role(Role.ADMIN)
    return principal


async def remember_caller(info: Info) -> str:
    """The caller's id; records them in the staff directory (just-in-time provisioning)."""
    principal = info.context.principal
    await info.context.deps.staff.remember(principal)
    return principal.sub
