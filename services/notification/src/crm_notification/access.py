"""Who may see which notifications: `crm_kit.policy` applied in the notification subgraph.

- `notificationReceived` and the inbox are always the caller's own.
- `Customer.notifications` is only for staff who may see the customer: this service keeps
  the owner and team of every assigned customer (from `customer.assigned.v1`, version
  ordered) and checks the caller's customer READ scope against them; a caller who may not
  see the customer gets null and FORBIDDEN at the field. ADMIN and MANAGER see every
  recipient's notifications about a customer they may see; everyone else sees only their
  own (notices they received anyway, so that view needs no customer check and leaks nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from strawberry.dataloader import DataLoader

from crm_kit import policy
from crm_kit.auth import Principal, Role
from crm_kit.errors import Forbidden
from crm_kit.graphql import RequestContext
from crm_kit.mongo import Document, Session
from crm_kit.policy import Action, Resource, Scope, configured_options

SEES_EVERY_RECIPIENT = (Role.ADMIN, Role.MANAGER)
CUSTOMER_ACCESS = "customer_access"  # read by _id only


def customer_notifications_recipient(principal: Principal) -> str | None:
    """Whose notifications about a customer the caller sees: `None` = everyone's."""
    return None if principal.has_role(*SEES_EVERY_RECIPIENT) else principal.sub


@dataclass(frozen=True, slots=True)
class CustomerOwner:
    customer_id: str
    owner_id: str | None
    team: str | None
    version: int


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


class CustomerAccess:
    """Owner and team per customer, as last assigned (`_id` = customer id)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[CUSTOMER_ACCESS]

    async def remember(self, data: Mapping[str, Any], session: Session) -> None:
        """Apply a `customer.assigned.v1` payload unless a same-or-newer version is stored."""
        customer = data.get("customer") or {}
        customer_id = str(customer.get("id") or "")
        if not customer_id:
            return
        version = int(customer.get("version") or 0)
        fields = {
            "ownerId": data.get("ownerId"),
            "team": data.get("team"),
            "version": version,
        }
        stored = await self._c.find_one({"_id": customer_id}, {"version": 1}, session=session)
        if stored is None:
            await self._c.insert_one({"_id": customer_id, **fields}, session=session)
        elif int(stored.get("version") or 0) <= version:
            await self._c.update_one({"_id": customer_id}, {"$set": fields}, session=session)

    async def owners(self, customer_ids: Sequence[str]) -> dict[str, CustomerOwner]:
        cursor = self._c.find({"_id": {"$in": list(dict.fromkeys(customer_ids))}})
        return {
            str(d["_id"]): CustomerOwner(
                str(d["_id"]), d.get("ownerId"), d.get("team"), int(d.get("version") or 0)
            )
            async for d in cursor
        }


async def notifications_recipient(context: RequestContext[Any], customer_id: str) -> str | None:
    """Whose notifications about `customer_id` the caller sees (`None`: everyone's), or
    FORBIDDEN for a recipient-wide view of a customer the caller may not see."""
    principal = context.principal
    recipient = customer_notifications_recipient(principal)
    if recipient is not None:
        return recipient
    if (
        policy.scope_of(principal, Action.READ, Resource.CUSTOMER, configured_options())
        is Scope.ALL
    ):
        return None
    store: CustomerAccess | None = context.deps.customer_access
    if store is None:  # not wired (tests of other parts): own notifications only
        return principal.sub
    owner = await _owner_loader(context, store).load(customer_id)
    if owner is None:  # never assigned (or not yet seen here): the caller's own view only
        return principal.sub
    if may_see_customer(principal, owner):
        return None
    raise forbidden(customer_id)


def _owner_loader(
    context: RequestContext[Any], store: CustomerAccess
) -> DataLoader[str, CustomerOwner | None]:
    async def load(ids: list[str]) -> list[CustomerOwner | None]:
        found = await store.owners(ids)
        return [found.get(i) for i in ids]

    return context.loader("access.customer_owners", load)
