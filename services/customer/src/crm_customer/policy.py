"""Who sees and changes which customers, and how sensitive fields look to them.

The rules are `crm_kit.policy` (one policy for every subgraph); this module applies them to
customer records: per-record checks, the list/count/search condition, and the caller's
presentation of a record (masked fields). Every read path goes through these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from typing import Any

from crm_customer.domain import Address, ContactPerson, Customer, CustomerKind
from crm_kit import policy
from crm_kit.auth import Principal
from crm_kit.errors import Forbidden
from crm_kit.policy import Action, PolicyOptions, Resource, Scope

IDENTITY = "idCardNumber"
PAIR_SCAN_LIMIT = 500  # candidate pairs examined for a caller who sees only some customers
# The fields `revealCustomerField` can unmask, and the model attribute holding each.
REVEALABLE = {"idCardNumber": "id_card_number", "phones": "phones", "emails": "emails"}


@cache
def options() -> PolicyOptions:
    return PolicyOptions.from_env()


def scope(principal: Principal, action: Action) -> Scope:
    return policy.scope_of(principal, action, Resource.CUSTOMER, options())


def can(principal: Principal, customer: Customer, action: Action = Action.READ) -> bool:
    return policy.can(
        principal,
        action,
        Resource.CUSTOMER,
        owner_id=customer.owner_id,
        team=customer.team,
        options=options(),
    )


def check(principal: Principal, customer: Customer, action: Action = Action.READ) -> Customer:
    if not can(principal, customer, action):
        raise forbidden(customer.id, action)
    return customer


def forbidden(customer_id: str, action: Action = Action.READ) -> Forbidden:
    return Forbidden(
        f"Not allowed: {action.lower()} customer {customer_id}",
        action=str(action),
        resource=str(Resource.CUSTOMER),
        id=customer_id,
    )


def require(principal: Principal, action: Action) -> Scope:
    """The action is granted on some customers at all (lists, creates, bulk)."""
    return policy.require_any(principal, action, Resource.CUSTOMER, options())


def condition(principal: Principal, action: Action = Action.LIST) -> dict[str, Any] | None:
    """MongoDB condition of the customers the caller may list; ``None``: no customer."""
    return policy.scope_filter(principal, action, Resource.CUSTOMER, options())


def check_new_owner(principal: Principal, owner_id: str | None, team: str | None) -> None:
    """A create or assignment may only place the customer where the caller's scope reaches."""
    granted = scope(principal, Action.CREATE)
    if not policy.in_scope(principal, granted, owner_id or principal.sub, team or principal.team):
        raise Forbidden(
            "Not allowed: customers outside your scope",
            action=str(Action.CREATE),
            resource=str(Resource.CUSTOMER),
        )


# --- presentation ----------------------------------------------------------------------------


def may_see_identity(principal: Principal) -> bool:
    return policy.sees(principal, IDENTITY)


def id_card_for(principal: Principal, number: str | None) -> str | None:
    if number is None:
        return None
    return number if may_see_identity(principal) else policy.mask_id_card(number)


def _masked_all(values: Iterable[str], mask: Any) -> list[str]:
    return [mask(v) for v in values]


def present(principal: Principal, customer: Customer) -> Customer:
    """The record as this caller may see it: sensitive fields masked by role (the ID number
    is masked at its field resolver, which also serves history snapshots)."""
    see = {name: policy.sees(principal, name) for name in policy.SENSITIVE_FIELDS}
    if all(see.values()):
        return customer
    changes: dict[str, Any] = {}
    if not see["phones"]:
        changes["phones"] = _masked_all(customer.phones, policy.mask_phone)
    if not see["emails"]:
        changes["emails"] = _masked_all(customer.emails, policy.mask_email)
    if not see["wechatId"] and customer.wechat_id:
        changes["wechat_id"] = policy.mask_text(customer.wechat_id)
    if not see["birthday"]:
        changes["birthday"] = None
    if not see["address"]:
        changes["addresses"] = [
            Address(a.province, a.city, a.district, "", "") for a in customer.addresses
        ]
    if not see["name"]:
        if customer.kind is CustomerKind.INDIVIDUAL:
            changes["name"] = policy.mask_text(customer.name)
        changes["contacts"] = [
            ContactPerson(
                policy.mask_text(c.name),
                c.title,
                _masked_all(c.phones, policy.mask_phone),
                _masked_all(c.emails, policy.mask_email),
                c.primary,
            )
            for c in customer.contacts
        ]
    return replace(customer, **changes)


def reveal_value(principal: Principal, customer: Customer, field: str) -> list[str]:
    """Unmasking is its own action: ADMIN, and the MANAGER of the customer's team."""
    check(principal, customer, Action.REVEAL)
    value = getattr(customer, REVEALABLE[field])
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [str(value)]


# --- staff -------------------------------------------------------------------------------------


def check_staff(principal: Principal, staff_id: str, team: str | None) -> None:
    """A staff record: ADMIN any; MANAGER, SALES, SERVICE their own team's (and themselves)."""
    granted = policy.scope_of(principal, Action.READ, Resource.STAFF, options())
    if not policy.in_scope(principal, granted, staff_id, team):
        raise Forbidden(
            f"Not allowed: read staff {staff_id}",
            action=str(Action.READ),
            resource=str(Resource.STAFF),
            id=staff_id,
        )


def staff_team(principal: Principal, team: str | None) -> str | None:
    """The directory's team filter: a TEAM-scoped caller lists only their own team."""
    granted = policy.scope_of(principal, Action.LIST, Resource.STAFF, options())
    if granted is Scope.ALL:
        return team
    if granted is Scope.NONE or (team is not None and team != principal.team):
        raise policy.forbidden(Action.LIST, Resource.STAFF)
    return principal.team
