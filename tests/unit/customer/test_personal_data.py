"""Every field the history tracks is classified as personal (with its kind) or public, so a
field added later cannot reach `customerHistory` unmasked without a decision."""

from __future__ import annotations

from crm_customer.history.model import TRACKED
from crm_customer.history.personal import (
    PERSONAL_FIELDS,
    PERSONAL_PARTS,
    PUBLIC_FIELDS,
    personal_parts,
)
from crm_kit.personal import Personal, PersonalKind


def test_every_tracked_field_is_classified() -> None:
    classified = set(PERSONAL_FIELDS) | set(PERSONAL_PARTS) | PUBLIC_FIELDS
    assert set(TRACKED) <= classified, set(TRACKED) - classified
    assert not (set(PERSONAL_FIELDS) | set(PERSONAL_PARTS)) & PUBLIC_FIELDS


def test_history_values_are_tagged_by_kind() -> None:
    assert personal_parts("phones", ["+8613912345678"]) == [
        Personal(PersonalKind.PHONE, "+8613912345678")
    ]
    address = {"province": "北京市", "street": "建国路88号", "postal_code": "100020"}
    assert personal_parts("addresses", [address]) == [
        {
            "province": "北京市",
            "street": Personal(PersonalKind.ADDRESS, "建国路88号"),
            "postal_code": Personal(PersonalKind.ADDRESS, "100020"),
        }
    ]
    assert personal_parts("stage", "CUSTOMER") == "CUSTOMER"
    assert personal_parts("birthday", None) is None
