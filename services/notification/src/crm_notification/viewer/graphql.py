"""The caller's inbox on the `Viewer` entity: how many notifications are unread.

The entity is the customer subgraph's; a reference resolves here only for the caller's own id,
so nobody reads a colleague's inbox through it. The count is nullable, as every field this
subgraph adds to another's entity: an outage here must not null the whole viewer.
"""

from __future__ import annotations

from typing import Self

import strawberry

from crm_kit.errors import Forbidden
from crm_notification.graphql.context import Info, remember_caller


@strawberry.federation.type(keys=["id"], description="The caller (owned by the customer subgraph)")
class Viewer:
    id: strawberry.ID = strawberry.field(description="The caller's id (the token's subject).")

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self:
        if str(id) != info.context.principal.sub:
            raise Forbidden("Not allowed: the viewer is the caller only", id=str(id))
        return cls(id=id)

    @strawberry.field(
        description="How many of the caller's notifications are unread (see myNotifications)."
    )
    async def unread_notification_count(self, info: Info) -> int | None:
        me = await remember_caller(info)
        return await info.context.deps.notifications.unread_count(me)
