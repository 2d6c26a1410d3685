"""The access policy, expressed as data and evaluated the same way in every subgraph.

A role grants, per resource and action, a *scope*: ``OWN`` (records the caller owns),
``TEAM`` (records of the caller's team, and their own), ``ALL``. A caller with several roles
gets the widest scope any of them grants. Fields carry a visibility per role (unmasked or
masked); unmasking a masked value is its own action (``REVEAL``), audited by the caller.

Everything here is pure: `can` decides about one record, and `scope_filter` turns the same rule
into a MongoDB filter for lists, counts and searches (so they never leak what `can` refuses).
How a masked value looks is `crm_kit.personal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import cache
from typing import Any

from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, FieldError, Forbidden
from crm_kit.settings import env_bool, env_int


class Resource(StrEnum):
    CUSTOMER = "CUSTOMER"
    INTERACTION = "INTERACTION"  # communication records, purchases, the timeline
    TICKET = "TICKET"
    TASK = "TASK"
    NOTIFICATION = "NOTIFICATION"
    STAFF = "STAFF"
    STATISTICS = "STATISTICS"  # aggregates: counts, analytics, insight figures
    OPPORTUNITY = "OPPORTUNITY"  # sales opportunities (pipelines, catalogue: read with them)


class Action(StrEnum):
    READ = "READ"
    LIST = "LIST"  # lists, searches and their counts
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    ASSIGN = "ASSIGN"
    MERGE = "MERGE"
    ARCHIVE = "ARCHIVE"
    ERASE = "ERASE"
    BULK = "BULK"
    EXPORT = "EXPORT"
    REVEAL = "REVEAL"  # see a masked field unmasked (an audited action)


class Scope(IntEnum):
    NONE = 0
    OWN = 1
    TEAM = 2
    ALL = 3


class Visibility(StrEnum):
    UNMASKED = "UNMASKED"
    MASKED = "MASKED"


# Sensitive customer fields and how each role sees them (absent: unmasked).
SENSITIVE_FIELDS = ("idCardNumber", "phones", "emails", "name", "address", "wechatId", "birthday")

_R, _C, _I = Resource, Resource.CUSTOMER, Resource.INTERACTION
_A = Action
_EVERY_CUSTOMER_ACTION = tuple(Action)
_READS = (_A.READ, _A.LIST)
_WORK = (_A.READ, _A.LIST, _A.CREATE, _A.UPDATE)


def _grant(
    scope: Scope, resource: Resource, *actions: Action
) -> dict[tuple[Resource, Action], Scope]:
    return {(resource, a): scope for a in actions}


@dataclass(frozen=True, slots=True)
class RolePolicy:
    grants: Mapping[tuple[Resource, Action], Scope]
    fields: Mapping[str, Visibility] = field(default_factory=dict)

    def scope(self, resource: Resource, action: Action) -> Scope:
        return self.grants.get((resource, action), Scope.NONE)

    def visibility(self, name: str) -> Visibility:
        return self.fields.get(name, Visibility.UNMASKED)


_MASKED = Visibility.MASKED
POLICY: Mapping[Role, RolePolicy] = {
    # Everything, everywhere; nothing masked.
    Role.ADMIN: RolePolicy({(r, a): Scope.ALL for r in Resource for a in Action}),
    # Their team's customers and staff: full work on them, merges, exports, reveals.
    Role.MANAGER: RolePolicy(
        {
            **_grant(Scope.TEAM, _C, *_EVERY_CUSTOMER_ACTION),
            (_C, _A.ERASE): Scope.NONE,
            **_grant(Scope.TEAM, _I, *_WORK, _A.EXPORT),
            **_grant(Scope.TEAM, _R.TICKET, *_WORK, _A.ASSIGN),
            **_grant(Scope.TEAM, _R.TASK, *_WORK),
            **_grant(Scope.TEAM, _R.NOTIFICATION, *_READS),
            **_grant(Scope.TEAM, _R.STAFF, *_READS),
            **_grant(Scope.TEAM, _R.STATISTICS, *_READS),
            **_grant(Scope.TEAM, _R.OPPORTUNITY, *_WORK, _A.ASSIGN, _A.BULK, _A.EXPORT, _A.MERGE),
        },
        {"idCardNumber": _MASKED},
    ),
    # Customers they own (team-shared ones too when the team setting allows, see `_widen`).
    Role.SALES: RolePolicy(
        {
            **_grant(Scope.OWN, _C, *_WORK, _A.BULK, _A.EXPORT),
            **_grant(Scope.OWN, _I, *_WORK),
            **_grant(Scope.OWN, _R.TICKET, *_WORK),
            **_grant(Scope.OWN, _R.TASK, *_WORK),
            **_grant(Scope.OWN, _R.NOTIFICATION, *_READS),
            **_grant(Scope.TEAM, _R.STAFF, *_READS),
            **_grant(Scope.OWN, _R.OPPORTUNITY, *_WORK),
        },
        {"idCardNumber": _MASKED},
    ),
    # Every customer read-only for service work; tickets (and tasks) of their team.
    Role.SERVICE: RolePolicy(
        {
            **_grant(Scope.ALL, _C, *_READS),
            **_grant(Scope.ALL, _I, *_READS, _A.CREATE, _A.UPDATE),  # edits: author's own
            **_grant(Scope.TEAM, _R.TICKET, *_WORK, _A.ASSIGN),
            **_grant(Scope.TEAM, _R.TASK, *_WORK),
            **_grant(Scope.OWN, _R.NOTIFICATION, *_READS),
            **_grant(Scope.TEAM, _R.STAFF, *_READS),
        },
        {"idCardNumber": _MASKED, "address": _MASKED, "birthday": _MASKED},
    ),
    # Aggregates and masked lists: no personal details, no export of personal data.
    Role.ANALYST: RolePolicy(
        {
            **_grant(Scope.ALL, _C, *_READS),
            **_grant(Scope.ALL, _R.STATISTICS, *_READS),
            **_grant(Scope.OWN, _R.NOTIFICATION, *_READS),
            **_grant(Scope.ALL, _R.OPPORTUNITY, *_READS),
        },
        {name: _MASKED for name in SENSITIVE_FIELDS},
    ),
}


@dataclass(frozen=True, slots=True)
class PolicyOptions:
    """Team settings the policy reads (environment: ``ACCESS_SALES_SEE_TEAM_CUSTOMERS``)."""

    sales_see_team_customers: bool = False
    max_page_size: int = 100  # `first` above it is BAD_USER_INPUT (``MAX_PAGE_SIZE``)

    @classmethod
    def from_env(cls) -> PolicyOptions:
        return cls(
            sales_see_team_customers=env_bool("ACCESS_SALES_SEE_TEAM_CUSTOMERS", False),
            max_page_size=env_int("MAX_PAGE_SIZE", 100),
        )


DEFAULT_OPTIONS = PolicyOptions()


@cache
def configured_options() -> PolicyOptions:
    """This process's options, read from the environment once (`cache_clear()` in tests)."""
    return PolicyOptions.from_env()


def _widen(role: Role, resource: Resource, action: Action, scope: Scope, o: PolicyOptions) -> Scope:
    """Team-shared customers (and their opportunities) for SALES: reading them, not changing
    them."""
    if (
        role is Role.SALES
        and o.sales_see_team_customers
        and resource in (Resource.CUSTOMER, Resource.INTERACTION, Resource.OPPORTUNITY)
        and action in (Action.READ, Action.LIST)
        and scope is Scope.OWN
    ):
        return Scope.TEAM
    return scope


def scope_of(
    principal: Principal,
    action: Action,
    resource: Resource = Resource.CUSTOMER,
    options: PolicyOptions = DEFAULT_OPTIONS,
) -> Scope:
    """The widest scope any of the caller's roles grants for this action."""
    best = Scope.NONE
    for role in principal.roles:
        rule = POLICY.get(role)
        if rule is None:
            continue
        scope = _widen(role, resource, action, rule.scope(resource, action), options)
        best = max(best, scope)
    if best is Scope.TEAM and not principal.team:
        best = Scope.OWN  # no team claim: the team scope is only their own records
    return best


def in_scope(principal: Principal, scope: Scope, owner_id: str | None, team: str | None) -> bool:
    if scope is Scope.ALL:
        return True
    owns = bool(owner_id) and owner_id == principal.sub
    if scope is Scope.OWN:
        return owns
    if scope is Scope.TEAM:
        return owns or (bool(team) and team == principal.team)
    return False


def can(
    principal: Principal,
    action: Action,
    resource: Resource = Resource.CUSTOMER,
    *,
    owner_id: str | None = None,
    team: str | None = None,
    options: PolicyOptions = DEFAULT_OPTIONS,
) -> bool:
    """May the caller do `action` on a record of `resource` owned by `owner_id` in `team`?"""
    return in_scope(principal, scope_of(principal, action, resource, options), owner_id, team)


def require(
    principal: Principal,
    action: Action,
    resource: Resource = Resource.CUSTOMER,
    *,
    owner_id: str | None = None,
    team: str | None = None,
    options: PolicyOptions = DEFAULT_OPTIONS,
) -> None:
    if not can(principal, action, resource, owner_id=owner_id, team=team, options=options):
        raise forbidden(action, resource)


def require_any(
    principal: Principal,
    action: Action,
    resource: Resource = Resource.CUSTOMER,
    options: PolicyOptions = DEFAULT_OPTIONS,
) -> Scope:
    """The action is granted on at least some records (a list, a create): its scope."""
    scope = scope_of(principal, action, resource, options)
    if scope is Scope.NONE:
        raise forbidden(action, resource)
    return scope


def forbidden(action: Action, resource: Resource) -> Forbidden:
    return Forbidden(
        f"Not allowed: {action.lower()} on this {resource.lower()}",
        action=str(action),
        resource=str(resource),
    )


def scope_filter(
    principal: Principal,
    action: Action,
    resource: Resource = Resource.CUSTOMER,
    options: PolicyOptions = DEFAULT_OPTIONS,
    *,
    owner_field: str = "owner_id",
    team_field: str = "team",
) -> dict[str, Any] | None:
    """The MongoDB condition selecting exactly the records `can` allows; ``None``: none at all
    (answer an empty list without querying). Values come from the verified token only."""
    scope = scope_of(principal, action, resource, options)
    if scope is Scope.NONE:
        return None
    if scope is Scope.ALL:
        return {}
    own = {owner_field: {"$eq": principal.sub}}
    if scope is Scope.OWN:
        return own
    return {"$or": [own, {team_field: {"$eq": principal.team}}]}


def restrict(query: Mapping[str, Any], condition: Mapping[str, Any]) -> dict[str, Any]:
    """`query` AND `condition`, keeping the query's top-level fields (index hints use them):
    a one-field condition on a field the query leaves free becomes a top-level field."""
    if not condition:
        return dict(query)
    if len(condition) == 1:
        ((name, value),) = condition.items()
        if not name.startswith("$") and name not in query:
            return {**query, name: value}
    return {**query, "$and": [*query.get("$and", []), dict(condition)]}


# --- field visibility and masking ------------------------------------------------------------


def visibility(principal: Principal, name: str) -> Visibility:
    """The most open visibility any of the caller's roles gives the field."""
    views = [POLICY[r].visibility(name) for r in principal.roles if r in POLICY]
    if Visibility.UNMASKED in views:
        return Visibility.UNMASKED
    return Visibility.MASKED


def sees(principal: Principal, name: str) -> bool:
    return visibility(principal, name) is Visibility.UNMASKED


# --- the caller's whole grant, for clients -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Permission:
    resource: Resource
    action: Action
    scope: Scope


def permissions(principal: Principal, options: PolicyOptions = DEFAULT_OPTIONS) -> list[Permission]:
    """Every resource × action with the scope `scope_of` gives the caller: read off the same
    table and rules the checks use (team setting, no team claim), so a client never keeps a
    second copy of the policy to decide what to offer."""
    return [
        Permission(resource, action, scope_of(principal, action, resource, options))
        for resource in Resource
        for action in Action
    ]


def field_visibilities(principal: Principal) -> dict[str, Visibility]:
    """How the caller sees each sensitive field (`visibility`), in `SENSITIVE_FIELDS` order."""
    return {name: visibility(principal, name) for name in SENSITIVE_FIELDS}


# --- input size limits -----------------------------------------------------------------------

MAX_FILTER_TEXT = 200  # characters of one filter or id value
MAX_FILTER_ITEMS = 100  # values in one list argument of a filter


def check_sizes(values: Mapping[str, Any]) -> None:
    """BAD_USER_INPUT naming every filter value over the limits (strings, lists of strings)."""
    errors: list[FieldError] = []
    for name, value in values.items():
        items = value if isinstance(value, list | tuple) else [value]
        if len(items) > MAX_FILTER_ITEMS:
            errors.append(FieldError(name, "TOO_MANY", f"At most {MAX_FILTER_ITEMS} values"))
        elif any(isinstance(v, str) and len(v) > MAX_FILTER_TEXT for v in items):
            errors.append(FieldError(name, "TOO_LONG", f"At most {MAX_FILTER_TEXT} characters"))
    if errors:
        raise BadUserInput(errors)
