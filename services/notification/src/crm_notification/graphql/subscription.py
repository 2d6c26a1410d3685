"""`notificationReceived`: the caller's new in-app notifications as they arrive."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from crm_notification.graphql.context import Info
from crm_notification.graphql.preference_resolvers import remember_caller
from crm_notification.graphql.types import Notification
from crm_notification.live import received


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each new in-app notification of the caller.")
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification]:
        me = await remember_caller(info)
        deps = info.context.deps
        async for found in received(deps.live, me, deps.notifications.get):
            yield Notification.from_model(found)
