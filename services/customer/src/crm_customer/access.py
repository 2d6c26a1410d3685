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

from crm_customer.customers.filters import CustomerFilter
from crm_customer.customers.model import Customer
from crm_customer.customers.search import QueryKind, query_kind
from crm_customer.customers.values import CustomerKind
from crm_kit import personal, policy
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Forbidden
from crm_kit.personal import PersonalKind as Kind
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
    return can_reach(principal, action, customer.owner_id, customer.team)


def can_reach(principal: Principal, action: Action, owner_id: str | None, team: str | None) -> bool:
    """`can` for a customer known by its owner and team alone (all that the rule reads): the
    `viewerCan…` fields of a record already in the response."""
    return policy.can(
        principal, action, Resource.CUSTOMER, owner_id=owner_id, team=team, options=options()
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


# --- search ----------------------------------------------------------------------------------
# A role that sees a kind masked cannot confirm a value of it by searching: a phone or e-mail
# query is refused, and name words match only enterprises (whose names are public).
_SEARCHED = {QueryKind.PHONE: Kind.PHONE, QueryKind.EMAIL: Kind.EMAIL}


def searchable(principal: Principal, flt: CustomerFilter) -> CustomerFilter:
    """The filter as this caller may search: BAD_USER_INPUT (field `text`) for a query on a
    kind the caller sees masked."""
    if flt.text is None or not flt.text.strip():
        return flt
    kind = query_kind(flt.text)
    searched = _SEARCHED.get(kind, Kind.NAME)
    if policy.sees(principal, searched.value):
        return flt
    if searched is Kind.NAME and flt.kind is not CustomerKind.INDIVIDUAL:
        return replace(flt, kind=CustomerKind.ENTERPRISE)
    raise BadUserInput.single(
        "text", "NOT_SEARCHABLE", f"Your role sees {searched.value} masked: not searchable"
    )


# --- presentation ----------------------------------------------------------------------------
# GraphQL masks personal fields by their types (crm_kit.personal_types); `present` applies the
# same masks to outputs that are not GraphQL (export files).


def may_see_identity(principal: Principal) -> bool:
    return policy.sees(principal, IDENTITY)


def id_card_for(principal: Principal, number: str | None) -> str | None:
    if number is None:
        return None
    return personal.shown_as(personal.visibility_of(principal), Kind.ID_CARD, number)


def present(principal: Principal, customer: Customer) -> Customer:
    """The record as this caller may see it: every personal field masked by role (the ID
    number too; a birthday the caller may not see is left out)."""
    visible = personal.visibility_of(principal)

    def shown(kind: Kind, values: Iterable[str]) -> list[str]:
        return [personal.shown_as(visible, kind, v) for v in values]

    def one(kind: Kind, value: str | None) -> str | None:
        return None if value is None else personal.shown_as(visible, kind, value)

    name = customer.name
    if customer.kind is CustomerKind.INDIVIDUAL:
        name = personal.shown_as(visible, Kind.NAME, name)
    return replace(
        customer,
        name=name,
        phones=shown(Kind.PHONE, customer.phones),
        emails=shown(Kind.EMAIL, customer.emails),
        wechat_id=one(Kind.WECHAT, customer.wechat_id),
        id_card_number=one(Kind.ID_CARD, customer.id_card_number),
        birthday=customer.birthday if visible(Kind.BIRTHDAY) else None,
        addresses=[
            replace(
                a,
                street=one(Kind.ADDRESS, a.street) or "",
                postal_code=one(Kind.ADDRESS, a.postal_code) or "",
            )
            for a in customer.addresses
        ],
        contacts=[
            replace(
                c,
                name=personal.shown_as(visible, Kind.NAME, c.name),
                phones=shown(Kind.PHONE, c.phones),
                emails=shown(Kind.EMAIL, c.emails),
            )
            for c in customer.contacts
        ],
    )


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
