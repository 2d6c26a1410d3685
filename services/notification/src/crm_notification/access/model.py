"""Who may see which notifications (pure).

- `notificationReceived` and the inbox are always the caller's own.
- `Customer.notifications` is only for staff who may see the customer: this service keeps
  the owner and team of every assigned customer (from `customer.assigned.v1`, version
  ordered) and checks the caller's customer READ scope against them; a caller who may not
  see the customer gets null and FORBIDDEN at the field. ADMIN and MANAGER see every
  recipient's notifications about a customer they may see; everyone else sees only their
  own (notices they received anyway, so that view needs no customer check and leaks nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_kit import policy
from crm_kit.auth import Principal, Role
from crm_kit.errors import Forbidden
from crm_kit.policy import Action, Resource, Scope, configured_options

SEES_EVERY_RECIPIENT = (Role.ADMIN, Role.MANAGER)


def customer_notifications_recipient(principal: Principal) -> str | None:
    """Whose notifications about a customer the caller sees: `None` = everyone's."""
    return None if principal.has_role(*SEES_EVERY_RECIPIENT) else principal.sub


@dataclass(frozen=True, slots=True)
class CustomerOwner:
    customer_id: str
    owner_id: str | None
    team: str | None
    version: int


def owner_of_assignment(data: Mapping[str, Any]) -> CustomerOwner | None:
    """The owner and team a `customer.assigned.v1` payload sets (None without a customer id)."""
    customer = data.get("customer") or {}
    customer_id = str(customer.get("id") or "")
    if not customer_id:
        return None
    version = int(customer.get("version") or 0)
    return CustomerOwner(customer_id, data.get("ownerId"), data.get("team"), version)


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
