"""Possible duplicate opportunities (pure): the name key and the groups it makes, and the merge
rules (who may merge with whom, what the survivor unites)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crm_sales.duplicates.model import Named, groups, name_key
from crm_sales.history.model import TrackedField
from crm_sales.merge import model as merging
from crm_sales.merge.model import MergeField
from crm_sales.opportunities.values import BuyingRole, Contact, Status
from crm_sales.validation import SalesInputError
from tests.unit.sales.samples import opportunity, pipeline

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("CRM 升级（二期）", "crm升级二期"),
        ("ＣＲＭ　升级", "CRM升级"),  # full-width letters and space
        ("ERP-Rollout, Phase 2", "erp rollout phase2"),
        ("Straße", "STRASSE"),  # case folding
    ],
)
def test_names_that_differ_in_case_width_spaces_or_punctuation_match(a: str, b: str) -> None:
    assert name_key(a) == name_key(b) != ""


@pytest.mark.parametrize(("a", "b"), [("CRM 升级二期", "CRM 升级三期"), ("ERP 1", "ERP 2")])
def test_names_that_differ_in_words_or_numbers_do_not_match(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_groups_are_per_customer_and_need_two() -> None:
    deals = [
        Named("1", "c1", "CRM 升级"),
        Named("2", "c1", "crm升级!"),
        Named("3", "c2", "CRM 升级"),
        Named("4", "c1", "ERP"),
        Named("5", "c1", "!!!"),
        Named("6", "c1", "？？"),
    ]
    assert groups(deals) == [("1", "2")]


def test_a_merge_needs_two_open_deals_of_one_customer() -> None:
    a, b = opportunity(), replace(opportunity(), id="opp-2", customer_id="cust-2")
    with pytest.raises(SalesInputError) as refused:
        merging.check(a, replace(b, status=Status.LOST))
    assert refused.value.codes == {"mergedId": "DIFFERENT_CUSTOMER"}
    with pytest.raises(SalesInputError) as same:
        merging.check(a, a)
    assert same.value.codes == {"mergedId": "SAME_OPPORTUNITY"}


def test_the_survivor_unites_contacts_by_name_and_takes_only_picked_fields() -> None:
    a = replace(opportunity(), contacts=(Contact("张三", BuyingRole.CHAMPION),), next_step="报价")
    b = replace(
        opportunity(),
        id="opp-2",
        next_step="演示",
        contacts=(Contact("张三", BuyingRole.USER), Contact("李四", BuyingRole.BLOCKER)),
    )
    kept = merging.united_changes(a, b, frozenset())
    assert kept.next_step is None
    assert kept.contacts == (("张三", "CHAMPION"), ("李四", "BLOCKER"))
    picked = merging.united_changes(a, b, frozenset({MergeField.NEXT_STEP}))
    assert picked.next_step == "演示"
    closed = merging.close_merged(b, a.id, pipeline=pipeline(), actor="alice", now=NOW)
    assert closed.opportunity.status is Status.MERGED
    # its probability falls to 0, recorded so the deal as it was reads back from history
    fields = {c.field: (c.old, c.new) for c in closed.field_changes}
    assert fields[TrackedField.PROBABILITY][1] == "0"
    assert fields[TrackedField.PROBABILITY][0] != "0"
    assert fields[TrackedField.MERGED_INTO] == (None, a.id)
    assert closed.opportunity.merged_into is not None
    assert closed.opportunity.merged_into.survivor_id == a.id
