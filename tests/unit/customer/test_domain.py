from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crm_customer.customers import model as domain
from crm_customer.customers.model import CustomerChanges, NewCustomer
from crm_customer.customers.validators import normalize_phone
from crm_customer.customers.values import CustomerKind, LifecycleStage
from crm_kit.errors import BadUserInput

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def make(**overrides: object) -> domain.Customer:
    values: dict[str, object] = {"kind": CustomerKind.INDIVIDUAL, "name": "  张  三 "}
    values.update(overrides)
    return domain.create(NewCustomer(**values), id="c1", actor="alice", now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+14155552671", "+14155552671"),
        ("12345", None),
        ("+8612800138000", None),  # mainland mobiles start 13-19
    ],
)
def test_phones_are_normalised_to_e164(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_create_cleans_name_tags_and_contacts() -> None:
    customer = make(tags=["vip", " vip ", "north"], emails=["Zhang@Example.com"])
    assert customer.name == "张 三"
    assert customer.tags == ["vip", "north"]
    assert customer.emails == ["zhang@example.com"]
    assert customer.version == 1 and customer.created_by == "alice"


def test_create_reports_every_bad_field_at_once() -> None:
    with pytest.raises(BadUserInput) as caught:
        make(name=" ", phones=["123"], emails=["nope"], stage=LifecycleStage.CHURNED)
    fields = {e.field for e in caught.value.field_errors}
    assert fields == {"name", "phones[0]", "emails[0]", "stage"}


def test_stage_transitions_are_validated() -> None:
    lead = make()
    active, changed = domain.apply_changes(
        lead, CustomerChanges(stage=LifecycleStage.ACTIVE), actor="bob", now=NOW
    )
    assert changed == ["stage"] and active.version == 2 and active.updated_by == "bob"
    with pytest.raises(BadUserInput) as caught:
        domain.apply_changes(active, CustomerChanges(stage=LifecycleStage.LEAD), actor="b", now=NOW)
    assert caught.value.field_errors[0].code == "INVALID_TRANSITION"
    churned, _ = domain.apply_changes(
        active, CustomerChanges(stage=LifecycleStage.CHURNED), actor="b", now=NOW
    )
    won_back, _ = domain.apply_changes(
        churned, CustomerChanges(stage=LifecycleStage.PROSPECT), actor="b", now=NOW
    )
    assert won_back.stage is LifecycleStage.PROSPECT


def test_a_change_that_changes_nothing_keeps_the_version() -> None:
    customer = make(tags=["a"])
    same, changed = domain.apply_changes(customer, CustomerChanges(tags=["a"]), actor="b", now=NOW)
    assert changed == [] and same.version == 1


def test_snapshot_carries_no_personal_data() -> None:
    snapshot = make(phones=["13800138000"], emails=["a@b.cn"]).snapshot()
    assert "phones" not in snapshot and "emails" not in snapshot
    assert snapshot["displayName"] == "张**"  # an individual's name travels masked
    company = replace(make(), kind=domain.CustomerKind.ENTERPRISE, name="华为技术有限公司")
    assert company.snapshot()["displayName"] == "华为技术有限公司"


def test_assign_requires_an_owner_and_bumps_the_version() -> None:
    customer = make()
    with pytest.raises(BadUserInput):
        domain.assign(customer, owner_id=" ", team=None, actor="m", now=NOW)
    assigned = domain.assign(customer, owner_id="bob", team="east", actor="m", now=NOW)
    assert (assigned.owner_id, assigned.team, assigned.version) == ("bob", "east", 2)
