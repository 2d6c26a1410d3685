"""The access policy as data: decisions, list conditions that match the decisions, masking."""

from __future__ import annotations

from typing import Any

import pytest

from crm_kit.auth import Principal, Role
from crm_kit.errors import Forbidden
from crm_kit.personal import mask_email, mask_id_card, mask_phone, mask_text, shown
from crm_kit.policy import (
    POLICY,
    Action,
    PolicyOptions,
    Resource,
    Scope,
    can,
    require,
    restrict,
    scope_filter,
    scope_of,
    sees,
)


def who(*roles: Role, sub: str = "me", team: str = "east") -> Principal:
    return Principal(sub=sub, name=sub, roles=frozenset(roles), team=team)


# owner, team of three customers seen from "me" in team "east"
OWN = ("me", "east")
TEAM = ("colleague", "east")
OTHER = ("stranger", "west")
R, C = Resource, Resource.CUSTOMER

# (roles, action, resource) -> allowed on (own, team, other)
DECISIONS: list[tuple[tuple[Role, ...], Action, Resource, tuple[bool, bool, bool]]] = [
    ((Role.ADMIN,), Action.READ, C, (True, True, True)),
    ((Role.ADMIN,), Action.ERASE, C, (True, True, True)),
    ((Role.MANAGER,), Action.READ, C, (True, True, False)),
    ((Role.MANAGER,), Action.MERGE, C, (True, True, False)),
    ((Role.MANAGER,), Action.REVEAL, C, (True, True, False)),
    ((Role.MANAGER,), Action.ERASE, C, (False, False, False)),
    ((Role.SALES,), Action.READ, C, (True, False, False)),
    ((Role.SALES,), Action.UPDATE, C, (True, False, False)),
    ((Role.SALES,), Action.EXPORT, C, (True, False, False)),
    ((Role.SALES,), Action.MERGE, C, (False, False, False)),
    ((Role.SALES,), Action.REVEAL, C, (False, False, False)),
    ((Role.SERVICE,), Action.READ, C, (True, True, True)),
    ((Role.SERVICE,), Action.UPDATE, C, (False, False, False)),
    ((Role.SERVICE,), Action.READ, R.TICKET, (True, True, False)),
    ((Role.ANALYST,), Action.LIST, C, (True, True, True)),
    ((Role.ANALYST,), Action.EXPORT, C, (False, False, False)),
    ((Role.ANALYST,), Action.READ, R.INTERACTION, (False, False, False)),
    ((Role.ANALYST,), Action.READ, R.STATISTICS, (True, True, True)),
    ((Role.SALES, Role.SERVICE), Action.READ, C, (True, True, True)),  # widest scope wins
    ((), Action.READ, C, (False, False, False)),
]


@pytest.mark.parametrize(("roles", "action", "resource", "expected"), DECISIONS)
def test_decisions_on_own_team_and_other_records(
    roles: tuple[Role, ...], action: Action, resource: Resource, expected: tuple[bool, ...]
) -> None:
    me = who(*roles)
    got = tuple(can(me, action, resource, owner_id=o, team=t) for o, t in (OWN, TEAM, OTHER))
    assert got == expected


def test_team_setting_lets_sales_read_but_not_change_team_customers() -> None:
    shared = PolicyOptions(sales_see_team_customers=True)
    me = who(Role.SALES)
    assert can(me, Action.READ, C, owner_id="colleague", team="east", options=shared)
    assert can(me, Action.LIST, C, owner_id="colleague", team="east", options=shared)
    assert not can(me, Action.UPDATE, C, owner_id="colleague", team="east", options=shared)
    assert not can(me, Action.READ, C, owner_id="stranger", team="west", options=shared)
    assert not can(me, Action.READ, C, owner_id="colleague", team="east")  # default: off


def test_team_scope_without_a_team_claim_is_own_only() -> None:
    manager = who(Role.MANAGER, team="")
    assert scope_of(manager, Action.READ) is Scope.OWN
    assert not can(manager, Action.READ, C, owner_id="x", team="")
    assert can(manager, Action.READ, C, owner_id="me", team="")


def test_unowned_records_are_only_for_all_scopes() -> None:
    for roles, allowed in (((Role.SALES,), False), ((Role.MANAGER,), False), ((Role.ADMIN,), True)):
        assert can(who(*roles), Action.READ, C, owner_id=None, team=None) is allowed


def test_require_raises_forbidden_with_action_and_resource() -> None:
    with pytest.raises(Forbidden) as caught:
        require(who(Role.SALES), Action.MERGE, C, owner_id="me", team="east")
    assert caught.value.extensions == {
        "code": "FORBIDDEN",
        "action": "MERGE",
        "resource": "CUSTOMER",
    }


def _matches(condition: dict[str, Any], doc: dict[str, Any]) -> bool:
    """A tiny evaluator for the operators scope filters use ($or, $and, $eq, $in)."""
    for key, value in condition.items():
        if key == "$or":
            if not any(_matches(c, doc) for c in value):
                return False
        elif key == "$and":
            if not all(_matches(c, doc) for c in value):
                return False
        elif isinstance(value, dict):
            if "$eq" in value and doc.get(key) != value["$eq"]:
                return False
            if "$in" in value and doc.get(key) not in value["$in"]:
                return False
        elif doc.get(key) != value:
            return False
    return True


ROLE_SETS = [(r,) for r in Role] + [(Role.SALES, Role.SERVICE), ()]


@pytest.mark.parametrize("roles", ROLE_SETS)
@pytest.mark.parametrize("action", [Action.LIST, Action.READ, Action.BULK, Action.EXPORT])
def test_list_condition_selects_exactly_what_can_allows(
    roles: tuple[Role, ...], action: Action
) -> None:
    me = who(*roles)
    docs = [
        {"owner_id": o, "team": t}
        for o in ("me", "colleague", "stranger", None)
        for t in ("east", "west", None)
    ]
    condition = scope_filter(me, action)
    for doc in docs:
        allowed = can(me, action, C, owner_id=doc["owner_id"], team=doc["team"])
        listed = condition is not None and _matches(condition, doc)
        assert listed == allowed, (roles, action, doc, condition)


def test_scope_filter_values_are_plain_equality_from_the_token() -> None:
    hostile = who(Role.SALES, sub='{"$ne": null}', team="east")
    assert scope_filter(hostile, Action.LIST) == {"owner_id": {"$eq": '{"$ne": null}'}}
    assert scope_filter(who(Role.ADMIN), Action.LIST) == {}
    assert scope_filter(who(), Action.LIST) is None


def test_restrict_keeps_indexable_fields_on_top_and_ands_the_rest() -> None:
    assert restrict({"stage": "LEAD"}, {"owner_id": {"$eq": "me"}}) == {
        "stage": "LEAD",
        "owner_id": {"$eq": "me"},
    }
    both = restrict({"owner_id": "x"}, {"owner_id": {"$eq": "me"}})
    assert both == {"owner_id": "x", "$and": [{"owner_id": {"$eq": "me"}}]}
    team = {"$or": [{"owner_id": {"$eq": "me"}}, {"team": {"$eq": "east"}}]}
    assert restrict({"$or": [{"a": 1}]}, team) == {"$or": [{"a": 1}], "$and": [team]}
    assert restrict({"a": 1}, {}) == {"a": 1}


def test_masks() -> None:
    assert mask_id_card("110101199003071234") == "110101********1234"
    assert mask_id_card("11010119900307123X") == "110101********123X"
    assert mask_phone("13856785678") == "138****5678"
    assert mask_phone("+8613856785678") == "+86138****5678"
    assert mask_phone("12345") == "*****"
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask_email("not-an-email") == "n***********"
    assert mask_text("张伟") == "张**"


def test_field_visibility_by_role() -> None:
    assert sees(who(Role.ADMIN), "idCardNumber")
    assert not sees(who(Role.MANAGER), "idCardNumber") and sees(who(Role.MANAGER), "phones")
    assert not sees(who(Role.ANALYST), "phones") and not sees(who(Role.ANALYST), "name")
    assert sees(who(Role.ANALYST, Role.SALES), "phones")  # the most open role decides
    assert shown(who(Role.ANALYST), "phones", "13856785678", mask_phone) == "138****5678"
    assert shown(who(Role.ADMIN), "phones", "13856785678", mask_phone) == "13856785678"
    assert shown(who(Role.ANALYST), "phones", None) is None


def test_every_role_has_a_policy_and_admin_has_everything() -> None:
    assert set(POLICY) == set(Role)
    admin = who(Role.ADMIN)
    assert all(scope_of(admin, a, r) is Scope.ALL for a in Action for r in Resource)
