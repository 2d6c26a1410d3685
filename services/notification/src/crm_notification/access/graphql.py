"""The access check as resolvers apply it, with a per-request DataLoader of customer owners."""

from __future__ import annotations

from crm_notification.access.model import (
    customer_notifications_recipient,
    forbidden,
    may_see_customer,
    sees_every_customer,
)
from crm_notification.graphql.context import Context


async def notifications_recipient(context: Context, customer_id: str) -> str | None:
    """Whose notifications about `customer_id` the caller sees (`None`: everyone's), or
    FORBIDDEN for a recipient-wide view of a customer the caller may not see."""
    principal = context.principal
    recipient = customer_notifications_recipient(principal)
    if recipient is not None:
        return recipient
    if sees_every_customer(principal):
        return None
    owners = context.loader("access.customer_owners", context.deps.access_queries.owners)
    owner = await owners.load(customer_id)
    if owner is None:  # never assigned (or not yet seen here): the caller's own view only
        return principal.sub
    if may_see_customer(principal, owner):
        return None
    raise forbidden(customer_id)
