"""Who may see which notifications: `crm_kit.policy` applied in the notification subgraph, over
the projection of each customer's owner and team (`customers/`).

- `notificationReceived` and the inbox are always the caller's own.
- `Customer.notifications` is only for staff who may see the customer: this service keeps
  the owner and team of every assigned customer (from `customer.assigned.v1`, version
  ordered) and checks the caller's customer READ scope against them; a caller who may not
  see the customer gets null and FORBIDDEN at the field. ADMIN and MANAGER see every
  recipient's notifications about a customer they may see; everyone else sees only their
  own (notices they received anyway, so that view needs no customer check and leaks nothing).
"""

from __future__ import annotations

from crm_kit import policy
from crm_kit.auth import Principal, Role
from crm_kit.errors import Forbidden
from crm_kit.policy import Action, Resource, Scope, configured_options
from crm_notification.customers.model import CustomerOwner
from crm_notification.graphql.context import Context

SEES_EVERY_RECIPIENT = (Role.ADMIN, Role.MANAGER)


def customer_notifications_recipient(principal: Principal) -> str | None:
    """Whose notifications about a customer the caller sees: `None` = everyone's."""
    return None if principal.has_role(*SEES_EVERY_RECIPIENT) else principal.sub


def sees_every_customer(principal: Principal) -> bool:
    granted = policy.scope_of(principal, Action.READ, Resource.CUSTOMER, configured_options())
    return granted is Scope.ALL


def may_see_customer(principal: Principal, owner: CustomerOwner | None) -> bool:
    granted = policy.scope_of(principal, Action.READ, Resource.CUSTOMER, configured_options())
    if granted is Scope.ALL:
        return True
    return owner is not None and policy.in_scope(principal, granted, owner.owner_id, owner.team)


def forbidden(customer_id: str) -> Forbidden:
    return Forbidden(
        f"Not allowed: notifications of customer {customer_id}",
        action=str(Action.READ),
        resource=str(Resource.NOTIFICATION),
        id=customer_id,
    )


async def notifications_recipient(context: Context, customer_id: str) -> str | None:
    """Whose notifications about `customer_id` the caller sees (`None`: everyone's), or
    FORBIDDEN for a recipient-wide view of a customer the caller may not see."""
    principal = context.principal
    recipient = customer_notifications_recipient(principal)
    if recipient is not None:
        return recipient
    if sees_every_customer(principal):
        return None
    owners = context.loader("access.customer_owners", context.deps.customer_queries.owners)
    owner = await owners.load(customer_id)
    if owner is None:  # never assigned (or not yet seen here): the caller's own view only
        return principal.sub
    if may_see_customer(principal, owner):
        return None
    raise forbidden(customer_id)
