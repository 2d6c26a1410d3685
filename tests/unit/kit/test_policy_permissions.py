"""`policy.permissions`: the caller's whole grant as clients see it is the policy table itself,
under the same rules as every check (widest role wins, team setting, no team claim)."""

from __future__ import annotations

import pytest

from crm_kit.auth import Principal, Role
from crm_kit.policy import (
    DEFAULT_OPTIONS,
    POLICY,
    SENSITIVE_FIELDS,
    Action,
    Permission,
    PolicyOptions,
    Resource,
    Scope,
    Visibility,
    field_visibilities,
    permissions,
    scope_of,
)


def who(*roles: Role, team: str = "east") -> Principal:
    return Principal(sub="me", name="me", roles=frozenset(roles), team=team)


def granted(principal: Principal, options: PolicyOptions = DEFAULT_OPTIONS) -> dict:
    return {(p.resource, p.action): p.scope for p in permissions(principal, options)}


@pytest.mark.parametrize("role", list(Role))
def test_every_resource_and_action_has_the_scope_the_policy_grants_the_role(role: Role) -> None:
    found = permissions(who(role))
    assert [(p.resource, p.action) for p in found] == [(r, a) for r in Resource for a in Action]
    assert found == [Permission(r, a, POLICY[role].scope(r, a)) for r in Resource for a in Action]


def test_several_roles_get_the_widest_scope_of_each() -> None:
    both = granted(who(Role.SALES, Role.SERVICE))
    for resource in Resource:
        for action in Action:
            widest = max(
                POLICY[Role.SALES].scope(resource, action),
                POLICY[Role.SERVICE].scope(resource, action),
            )
            assert both[(resource, action)] == widest


def test_without_a_team_claim_a_team_scope_is_reported_as_own() -> None:
    manager = granted(who(Role.MANAGER, team=""))
    assert manager[(Resource.CUSTOMER, Action.UPDATE)] is Scope.OWN
    assert Scope.TEAM not in manager.values()


def test_the_team_setting_shows_as_team_reads_for_sales() -> None:
    sales = who(Role.SALES)
    options = PolicyOptions(sales_see_team_customers=True)
    widened = granted(sales, options)
    assert widened[(Resource.CUSTOMER, Action.READ)] is Scope.TEAM
    assert widened[(Resource.CUSTOMER, Action.UPDATE)] is Scope.OWN
    assert widened == {(r, a): scope_of(sales, a, r, options) for r in Resource for a in Action}


def test_no_role_no_permission() -> None:
    assert set(granted(who())) == {(r, a) for r in Resource for a in Action}
    assert set(granted(who()).values()) == {Scope.NONE}


@pytest.mark.parametrize("role", list(Role))
def test_field_visibilities_are_the_role_s_field_rules(role: Role) -> None:
    seen = field_visibilities(who(role))
    assert list(seen) == list(SENSITIVE_FIELDS)
    assert seen == {name: POLICY[role].visibility(name) for name in SENSITIVE_FIELDS}


def test_field_visibilities_take_the_most_open_role() -> None:
    seen = field_visibilities(who(Role.ANALYST, Role.SALES))
    assert seen["phones"] is Visibility.UNMASKED
    assert seen["idCardNumber"] is Visibility.MASKED
