"""Personal data kinds, masks, visibility per role and the free-text scrub (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from crm_kit import personal_types
from crm_kit.auth import Principal, Role
from crm_kit.personal import (
    Disclosed,
    Personal,
    PersonalKind,
    mask,
    nobody,
    scrub,
    scrub_extensions,
    visibility_of,
)

K = PersonalKind


def who(role: Role) -> Principal:
    return Principal("u", "u", frozenset({role}), "east")


def test_each_kind_has_its_mask() -> None:
    assert mask(K.PHONE, "+8613912345678") == "+86139****5678"
    assert mask(K.EMAIL, "zhang.wei@example.cn") == "z***@example.cn"
    assert mask(K.ID_CARD, "11010519491231002X") == "110105********002X"
    assert mask(K.NAME, "张三丰") == "张**"
    assert mask(K.ADDRESS, "建国路88号") == ""
    assert mask(K.BIRTHDAY, "1980-01-01") == "****-**-**"
    assert mask(K.WECHAT, "wx_zhang") == "w*******"


@pytest.mark.parametrize(
    ("role", "clear"),
    [
        (Role.ADMIN, set(K)),
        (Role.MANAGER, set(K) - {K.ID_CARD}),
        (Role.SALES, set(K) - {K.ID_CARD}),
        (Role.SERVICE, set(K) - {K.ID_CARD, K.ADDRESS, K.BIRTHDAY}),
        (Role.ANALYST, set()),
    ],
)
def test_visibility_follows_the_access_policy(role: Role, clear: set[PersonalKind]) -> None:
    visible = visibility_of(who(role))
    assert {k for k in K if visible(k)} == clear


def test_the_scalars_mask_for_the_operation_caller_and_fail_closed() -> None:
    phone = personal_types.SCALAR_MAP[personal_types.PhoneNumber]
    birthday = personal_types.SCALAR_MAP[personal_types.Birthday]
    personal_json = personal_types.SCALAR_MAP[personal_types.PersonalJSON]
    name = personal_types.SCALAR_MAP[personal_types.CustomerName]
    personal_types.use_principal(None)  # nobody known: everything masked
    assert phone.serialize("+8613912345678") == "+86139****5678"
    personal_types.use_principal(who(Role.ADMIN))
    assert phone.serialize("+8613912345678") == "+8613912345678"
    assert birthday.serialize(date(1980, 1, 1)) == "1980-01-01"
    personal_types.use_principal(who(Role.SERVICE))
    assert birthday.serialize(date(1980, 1, 1)) == "****-**-**"
    assert phone.serialize("+8613912345678") == "+8613912345678"
    personal_types.use_principal(who(Role.ANALYST))
    assert name.serialize("张三丰") == "张**"
    assert name.serialize(Disclosed("华为技术有限公司")) == "华为技术有限公司"
    value = [
        {"street": Personal(K.ADDRESS, "建国路88号"), "city": "北京"},
        Personal(K.PHONE, "13912345678"),
    ]
    assert personal_json.serialize(value) == [{"street": "", "city": "北京"}, "139****5678"]
    assert not nobody(K.NAME)


def test_scrub_masks_phones_emails_and_id_numbers_in_free_text() -> None:
    text = "call 13912345678 or +86 139 1234 5678, mail a.b@example.cn, id 11010519491231002X"
    assert (
        scrub(text)
        == "call 139****5678 or 86139****5678, mail a***@example.cn, id 110105********002X"
    )
    assert scrub("At most 10485760 bytes; 2026-12-07; 100 rows") == (
        "At most 10485760 bytes; 2026-12-07; 100 rows"
    )
    errors = {
        "code": "NOT_FOUND",
        "id": "13912345678",
        "fieldErrors": [{"field": "x.a@b.cn", "code": "C", "message": "m"}],
    }
    assert scrub_extensions(errors) == {
        "code": "NOT_FOUND",
        "id": "139****5678",
        "fieldErrors": [{"field": "x***@b.cn", "code": "C", "message": "m"}],
    }
