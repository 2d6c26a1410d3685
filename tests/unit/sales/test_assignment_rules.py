"""Opportunity assignment rules (pure): what a rule matches (pipeline, source, a half-open
amount band in the base currency), the order rules are tried in, how a draft is checked (every
refused field named at once), reordering, the fallback to the customer's owner or the
creator, and the kit's pick among a team."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crm_kit.assignment_rules import Strategy, first_match, pick, pick_member
from crm_kit.auth import Principal, Role
from crm_kit.errors import Forbidden
from crm_sales import access
from crm_sales.assignment.rules_model import (
    AssignedBy,
    Choice,
    DealFacts,
    Known,
    OpportunityRule,
    OwnerReason,
    RuleDraft,
    RuleError,
    fallback,
    payload_of,
    reordered,
    validated,
)
from crm_sales.money.model import Money, money
from tests.unit.sales.samples import opportunity

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KNOWN = Known(pipeline_ids={"p1", "p2"}, base_currency="CNY", team_known=True)


def cny(amount: str) -> Money:
    return money(Decimal(amount), "CNY")


def rule(rule_id: str = "r1", **fields: object) -> OpportunityRule:
    base = OpportunityRule(id=rule_id, name="华东大单", team="east", strategy=Strategy.ROUND_ROBIN)
    return replace(base, **fields)  # type: ignore[arg-type]


def deal(pipeline: str = "p1", source: str | None = None, amount: str | None = None) -> DealFacts:
    return DealFacts(pipeline, source, cny(amount) if amount is not None else None)


def make(**fields: object) -> OpportunityRule:
    draft = replace(RuleDraft(name="大单", team="east"), **fields)  # type: ignore[arg-type]
    return validated(draft, KNOWN, id="r1", version=1, actor="alice", now=NOW)


def codes(error: pytest.ExceptionInfo[RuleError]) -> dict[str, str]:
    return error.value.codes


# --- matching ---------------------------------------------------------------------------


def test_a_rule_without_criteria_matches_every_deal() -> None:
    assert rule().matches(deal()) and rule().matches(deal("p9", "展会", None))


def test_pipelines_and_sources_must_match_when_set() -> None:
    only = rule(pipeline_ids=("p1",), sources=("Trade Fair",))
    assert only.matches(deal("p1", "  trade   FAIR "))  # case and spacing aside
    assert not only.matches(deal("p2", "Trade Fair"))
    assert not only.matches(deal("p1", "Referral"))
    assert not only.matches(deal("p1", None))


def test_the_amount_band_is_half_open_and_needs_an_amount() -> None:
    band = rule(amount_min=cny("100000"), amount_max=cny("1000000"))
    assert band.matches(deal(amount="100000.00"))  # the lower bound is in
    assert band.matches(deal(amount="999999.99"))
    assert not band.matches(deal(amount="1000000"))  # the upper bound is out
    assert not band.matches(deal(amount="99999.99"))
    assert not band.matches(deal())  # no amount (or no rate): no band matches
    assert rule(amount_min=cny("5")).matches(deal(amount="5"))
    assert rule(amount_max=cny("5")).matches(deal(amount="0"))


def test_a_band_saved_under_another_base_currency_matches_nothing() -> None:
    usd = rule(amount_min=money(Decimal(1), "USD"))
    assert not usd.matches(deal(amount="100"))


def test_rules_are_tried_by_position_then_id_and_inactive_ones_are_skipped() -> None:
    rules = [
        rule("b", position=1),
        rule("a", position=1),
        rule("z", position=0, active=False),
        rule("c", position=2),
    ]
    assert first_match(rules, lambda r: r.matches(deal())) == rules[1]
    big = [rule("x", amount_min=cny("1000")), rule("y", position=5)]
    assert first_match(big, lambda r: r.matches(deal(amount="10"))) == big[1]
    assert first_match([], lambda r: True) is None


# --- checking a draft ---------------------------------------------------------------------


def test_a_draft_becomes_a_rule_with_its_values_cleaned() -> None:
    made = make(
        name="  华东   大单 ",
        pipeline_ids=("p1", "p1", " p2 "),
        sources=("展会", " 展会 ", "Referral", "referral"),
        amount_min="100000",
        amount_max="1000000.50",
        strategy=Strategy.LEAST_LOADED,
    )
    assert made.name == "华东 大单" and made.pipeline_ids == ("p1", "p2")
    assert made.sources == ("展会", "Referral")
    assert (made.amount_min, made.amount_max) == (cny("100000"), cny("1000000.50"))
    assert (made.version, made.updated_by, made.updated_at) == (1, "alice", NOW)


def test_every_refused_field_is_named_at_once() -> None:
    with pytest.raises(RuleError) as refused:
        validated(
            RuleDraft(
                name=" ",
                team="nobody",
                pipeline_ids=("p1", "gone"),
                amount_min="500",
                amount_max="100",
            ),
            replace(KNOWN, team_known=False),
            id="r1",
            version=1,
            actor="alice",
            now=NOW,
        )
    assert codes(refused) == {
        "name": "REQUIRED",
        "team": "UNKNOWN_TEAM",
        "pipelineIds[1]": "UNKNOWN_PIPELINE",
        "amountMax": "OUT_OF_RANGE",
    }


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("100", "100", {"amountMax": "OUT_OF_RANGE"}),  # an empty band
        ("-1", None, {"amountMin": "NEGATIVE"}),
        ("1.001", None, {"amountMin": "PRECISION"}),
        (None, "abc", {"amountMax": "INVALID"}),
        (None, "1e16", {"amountMax": "INVALID"}),
    ],
)
def test_amount_bounds_are_amounts_of_the_base_currency(
    low: str | None, high: str | None, expected: dict[str, str]
) -> None:
    with pytest.raises(RuleError) as refused:
        make(amount_min=low, amount_max=high)
    assert codes(refused) == expected


def test_blank_team_and_too_many_criteria_are_refused() -> None:
    with pytest.raises(RuleError) as refused:
        make(team=" ", sources=tuple(f"s{i}" for i in range(51)))
    assert codes(refused) == {"team": "REQUIRED", "sources": "TOO_MANY"}


# --- reordering ---------------------------------------------------------------------------


def test_reordering_puts_the_given_ids_first_and_versions_only_the_moved() -> None:
    rules = [rule("a", position=0), rule("b", position=1), rule("c", position=2)]
    after = reordered(rules, ["b", "a"], actor="bob", now=NOW)
    assert [(r.id, r.position, r.version) for r in after] == [("b", 0, 2), ("a", 1, 2), ("c", 2, 1)]
    assert after[0].updated_by == "bob" and after[2] is rules[2]


def test_reordering_refuses_unknown_and_repeated_ids() -> None:
    with pytest.raises(RuleError) as refused:
        reordered([rule("a")], ["a", "x", "a"], actor="bob", now=NOW)
    assert codes(refused) == {"ids[1]": "UNKNOWN_RULE", "ids[2]": "DUPLICATE_ID"}


# --- without a rule ---------------------------------------------------------------------


def test_the_customers_owner_when_the_creator_may_hand_it_to_them() -> None:
    chosen = fallback(
        "li.lei", "east", creator="wang.fang", creator_team="east", may_hand_to_owner=True
    )
    assert chosen == Choice("li.lei", "east", OwnerReason.CUSTOMER_OWNER)


def test_else_the_creator_keeps_it() -> None:
    refused = fallback(
        "ma.li", "west", creator="wang.fang", creator_team="east", may_hand_to_owner=False
    )
    assert refused == Choice("wang.fang", "east", OwnerReason.CREATOR)
    ownerless = fallback(None, None, creator="a", creator_team=None, may_hand_to_owner=True)
    assert ownerless.reason is OwnerReason.CREATOR


def test_a_creator_who_owns_the_customer_keeps_their_own_team() -> None:
    own = fallback("li.lei", "west", creator="li.lei", creator_team="east", may_hand_to_owner=False)
    assert own == Choice("li.lei", "east", OwnerReason.CUSTOMER_OWNER)


def test_how_a_deal_got_its_owner_keeps_the_rules_name_and_strategy() -> None:
    chosen = Choice("li.lei", "east", OwnerReason.RULE, rule(strategy=Strategy.LEAST_LOADED))
    recorded = AssignedBy.of("o1", chosen, actor="alice", at=NOW)
    assert (recorded.rule_id, recorded.rule_name, recorded.strategy) == (
        "r1",
        "华东大单",
        Strategy.LEAST_LOADED,
    )
    assert payload_of(recorded) == {"reason": "RULE", "ruleId": "r1"}
    named = AssignedBy.of("o1", Choice("a", None, OwnerReason.NAMED), actor="a", at=NOW)
    assert payload_of(named) == {"reason": "NAMED", "ruleId": None}


# --- the kit's pick -----------------------------------------------------------------------


def test_round_robin_takes_the_members_in_turn_and_least_loaded_the_idlest() -> None:
    team = ["c", "a", "b"]
    assert [pick(Strategy.ROUND_ROBIN, team, n, {}) for n in (1, 2, 3, 4)] == ["a", "b", "c", "a"]
    loads = {"a": 3, "b": 1, "c": 1}
    assert [pick(Strategy.LEAST_LOADED, team, n, loads) for n in (1, 2)] == ["b", "c"]


async def test_pick_member_takes_no_turn_and_reads_no_load_when_it_need_not() -> None:
    calls: list[str] = []

    async def turn() -> int:
        calls.append("turn")
        return 1

    async def loads(members: list[str]) -> dict[str, int]:
        calls.append("loads")
        return {}

    assert await pick_member(Strategy.LEAST_LOADED, [], turn, loads) is None
    assert calls == []
    assert await pick_member(Strategy.ROUND_ROBIN, ["b", "a"], turn, loads) == "a"
    assert calls == ["turn"]


# --- who may hand deals to whom, and merge them ------------------------------------------


def person(sub: str, role: Role, team: str = "east") -> Principal:
    return Principal(sub, sub, frozenset({role}), team)


def test_only_an_assign_scope_reaches_the_customers_owner() -> None:
    assert access.may_hand_to(person("m", Role.MANAGER), "li.lei", "east")
    assert not access.may_hand_to(person("m", Role.MANAGER), "ma.li", "west")
    assert access.may_hand_to(person("a", Role.ADMIN), "ma.li", "west")
    assert not access.may_hand_to(person("s", Role.SALES), "li.lei", "east")


def test_a_manager_merges_their_own_and_their_teams_deals_only() -> None:
    manager = person("wang.fang", Role.MANAGER)
    own = replace(opportunity(), owner_id="wang.fang", team="west")
    team = replace(opportunity(), owner_id="li.lei", team="east")
    other = replace(opportunity(), owner_id="ma.li", team="west")
    access.require_merger(manager, own)
    access.require_merger(manager, team)
    with pytest.raises(Forbidden):
        access.require_merger(manager, other)
    for role in (Role.SALES, Role.ANALYST):
        with pytest.raises(Forbidden):
            access.require_merger(person("li.lei", role), team)
    access.require_merger(person("a", Role.ADMIN), other)
