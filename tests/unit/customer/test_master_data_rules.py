"""Pure rules of customer master data: validators, encryption, search terms, duplicates,
history diffs, masking and localisation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crm_customer import access as policy
from crm_customer.customers import model as domain
from crm_customer.customers import validators as v
from crm_customer.customers.documents import name_key, to_document
from crm_customer.customers.model import CustomerChanges, NewCustomer
from crm_customer.customers.search import customer_terms, query_terms
from crm_customer.customers.values import Address, ContactPerson, CustomerKind, Gender
from crm_customer.duplicates.model import (
    DuplicateRule,
    FieldChoice,
    check_request,
    match_keys,
    merge,
    rank,
)
from crm_customer.history import model as history
from crm_customer.i18n import localise_extensions, parse_accept_language
from crm_customer.protection.crypto import DataProtector, DecryptionError, KeyConfigError
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput
from tests.support import field_codes

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ID_CARD = "11010519491231002X"  # the GB 11643 standard's own example
USCC = "91350100M000100Y43"
KEYS = DataProtector.from_config("k2:" + "A" * 43 + "=,k1:" + "B" * 43 + "=", "C" * 43 + "=")


def individual(**overrides: object) -> domain.Customer:
    values: dict[str, object] = {"kind": CustomerKind.INDIVIDUAL, "name": "张伟"}
    values.update(overrides)
    return domain.create(NewCustomer(**values), id="c1", actor="alice", now=NOW)  # type: ignore[arg-type]


def test_gb11643_check_digit_region_and_birthday() -> None:
    assert v.id_card_problem(ID_CARD, NOW.date()) is None
    assert v.id_card_problem("110105194912310021", NOW.date()) == "INVALID_ID_CARD_CHECK_DIGIT"
    assert v.id_card_problem("11010519491331002X", NOW.date()) == "INVALID_ID_CARD_BIRTHDAY"
    assert v.id_card_problem("99010519491231002X", NOW.date()) == "INVALID_ID_CARD_REGION"
    assert v.id_card_problem("1101051949123100", NOW.date()) == "INVALID_ID_CARD_FORMAT"
    future = "110105" + "20301231" + "002"
    future += v.id_card_check_digit(future)
    assert v.id_card_problem(future, NOW.date()) == "INVALID_ID_CARD_BIRTHDAY"


def test_gb32100_check_character() -> None:
    assert v.uscc_problem(USCC) is None
    assert v.uscc_problem(USCC[:-1] + "X") == "INVALID_USCC_CHECK_CHAR"
    assert v.uscc_problem("91350100M000100I43") == "INVALID_USCC_FORMAT"  # I is not allowed
    assert v.uscc_problem("9135") == "INVALID_USCC_FORMAT"


def test_identity_fills_birthday_and_gender_and_rejects_mismatches() -> None:
    c = individual(id_card_number=ID_CARD.lower())
    assert c.id_card_number == ID_CARD
    assert (c.birthday, c.gender) == (date(1949, 12, 31), Gender.FEMALE)
    with pytest.raises(BadUserInput) as caught:
        individual(id_card_number=ID_CARD, birthday=date(1950, 1, 1), gender=Gender.MALE)
    assert field_codes(caught.value) == {
        "birthday": "BIRTHDAY_MISMATCH",
        "gender": "GENDER_MISMATCH",
    }
    with pytest.raises(BadUserInput) as caught:
        individual(birthday=date(2030, 1, 1))
    assert field_codes(caught.value) == {"birthday": "IMPOSSIBLE_BIRTHDAY"}


def test_kind_specific_fields_and_enterprise_rules() -> None:
    with pytest.raises(BadUserInput) as caught:
        individual(uscc=USCC)
    assert field_codes(caught.value) == {"uscc": "FIELD_NOT_FOR_KIND"}
    company = domain.create(
        NewCustomer(
            kind=CustomerKind.ENTERPRISE,
            name="杭州云帆科技有限公司",
            uscc=USCC.lower(),
            industry="i",
            contacts=[ContactPerson("李娜", "采购经理", ["13900139000"], ["LiNa@yf.cn"], True)],
            addresses=[Address("浙江省", "杭州市", "西湖区", "文三路 1 号")],
        ),
        id="e1",
        actor="a",
        now=NOW,
    )
    assert (company.uscc, company.industry, company.region) == (USCC, "I", "浙江省")
    assert company.contacts[0].phones == ["+8613900139000"]
    assert company.contacts[0].emails == ["lina@yf.cn"]
    with pytest.raises(BadUserInput) as caught:
        domain.apply_changes(
            company,
            CustomerChanges(
                industry="Z",
                contacts=[ContactPerson("a", primary=True), ContactPerson("b", primary=True)],
                website="ftp://x",
                addresses=[Address(" ")],
            ),
            actor="a",
            now=NOW,
        )
    assert field_codes(caught.value) == {
        "industry": "INVALID_INDUSTRY",
        "contacts": "MULTIPLE_PRIMARY",
        "website": "INVALID_URL",
        "addresses[0].province": "REQUIRED",
    }


def test_referrer_needs_referral_source() -> None:
    with pytest.raises(BadUserInput) as caught:
        individual(referrer="老王")
    assert field_codes(caught.value) == {"referrer": "REFERRER_NEEDS_REFERRAL"}
    assert individual(referrer="老王", source=domain.Source.REFERRAL).referrer == "老王"


def test_encryption_binds_the_record_and_rotates_keys() -> None:
    stored = KEYS.encrypt(ID_CARD, "c1")
    assert stored.startswith("k2:") and ID_CARD not in stored
    assert KEYS.decrypt(stored, "c1") == ID_CARD
    with pytest.raises(DecryptionError):
        KEYS.decrypt(stored, "c2")  # copied onto another record
    old = DataProtector.from_config("k1:" + "B" * 43 + "=", "C" * 43 + "=")
    assert KEYS.decrypt(old.encrypt(ID_CARD, "c1"), "c1") == ID_CARD  # old key still reads
    assert KEYS.blind_index("id_card", ID_CARD) == old.blind_index("id_card", ID_CARD)
    with pytest.raises(KeyConfigError):
        DataProtector.from_config("k1:c2hvcnQ=", "C" * 43 + "=")


def test_stored_document_has_no_plaintext_identity_number() -> None:
    doc = to_document(individual(id_card_number=ID_CARD), KEYS)
    assert ID_CARD not in str(doc)
    assert doc["id_card_bidx"] == KEYS.blind_index("id_card", ID_CARD)


def test_masking_policy_is_role_based() -> None:
    admin = Principal("a", "a", frozenset({Role.ADMIN}), "east")
    sales = Principal("s", "s", frozenset({Role.SALES}), "east")
    assert policy.id_card_for(admin, ID_CARD) == ID_CARD
    assert policy.id_card_for(sales, ID_CARD) == "110105********002X"


def test_search_terms_cover_chinese_pinyin_phones_and_emails() -> None:
    terms = set(customer_terms(["张伟", "Acme Trading"], ["+8613800138000"], ["wei.zhang@ex.cn"]))
    assert {"张伟", "张", "zw", "zhangwei", "zhang", "acme", "ac", "trading"} <= terms
    assert {"13800138000", "8000", "138001", "8613800138000"} <= terms
    assert {"wei.zhang@ex.cn", "ex.cn", "wei"} <= terms
    assert set(query_terms("北京云帆")) == {"北京", "京云", "云帆"}
    assert query_terms("+86 138-0013-8000") == ["13800138000"]
    assert query_terms("ACME trad") == ["acme", "trad"]
    assert set(query_terms("北京云帆")) <= set(customer_terms(["北京云帆科技"], [], []))


def test_name_key_ignores_case_spacing_and_company_suffixes() -> None:
    assert name_key("杭州 云帆科技有限公司") == name_key("杭州云帆科技")
    assert name_key("Acme Co., Ltd.") == name_key("ACME")


def test_duplicate_keys_and_ranking_by_strength() -> None:
    doc = to_document(
        individual(
            id_card_number=ID_CARD,
            phones=["13800138000"],
            emails=["a@b.cn"],
            addresses=[Address("北京市")],
        ),
        KEYS,
    )
    assert match_keys(doc) == {
        f"idcard:{KEYS.blind_index('id_card', ID_CARD)}",
        f"phone:{KEYS.phone_index('+8613800138000')}",  # blind indexes, no plaintext
        f"email:{KEYS.email_index('a@b.cn')}",
        # a person's name counts only with the birthday (here from the ID number)
        "person:北京市:张伟:1949-12-31",
        "near:北京市:b:1949-12-31:z",  # fuzzy blocking key: candidates for the similar name
    }
    holders = {
        "phone:+8613800138000": ["c1", "a", "c"],
        "idcard:h": ["c"],
        "name:北京市:张伟": ["b", "a"],
    }
    ranked = rank("c1", holders)
    assert [(m.customer_id, m.rule, m.exact) for m in ranked] == [
        ("c", DuplicateRule.ID_CARD, True),
        ("a", DuplicateRule.PHONE, True),
        ("b", DuplicateRule.NAME_REGION, False),
    ]
    assert rank("c1", {"phone:+1": ["c1"]}) == []


def test_history_diff_is_field_level_and_masks_identity_numbers() -> None:
    before = individual(tags=["a"])
    after, changed = domain.apply_changes(
        before, CustomerChanges(tags=["a", "b"], id_card_number=ID_CARD), actor="b", now=NOW
    )
    diff = {c.field: (c.before, c.after) for c in history.diff(before, after)}
    assert diff["tags"] == (["a"], ["a", "b"])
    assert diff["id_card_number"] == (None, "110105********002X")
    assert diff["birthday"] == (None, "1949-12-31")
    assert set(changed) == set(diff)
    created = history.diff(None, before)
    assert {c.field for c in created} == {"name", "stage", "tags"}


def test_restore_to_an_older_version_is_a_new_version() -> None:
    v1 = individual(tags=["a"])
    v2, _ = domain.apply_changes(v1, CustomerChanges(name="王芳"), actor="b", now=NOW)
    v3, changed = domain.restore_to(v2, v1, actor="c", now=NOW)
    assert (v3.name, v3.version, changed) == ("张伟", 3, ["name"])


def test_accept_language_and_message_catalogue() -> None:
    assert parse_accept_language("en-US,en;q=0.9") == "en"
    assert parse_accept_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert parse_accept_language("fr") == "zh-CN"
    ext = {"code": "BAD_USER_INPUT", "fieldErrors": [{"field": "x", "code": "INVALID_PHONE"}]}
    english = localise_extensions(ext, "en")["fieldErrors"][0]["message"]
    assert english.startswith("Not a valid phone number: give a mobile, a landline")
    chinese = localise_extensions(ext, "zh-CN")["fieldErrors"][0]["message"]
    assert chinese.startswith("电话号码无效") and "400/800" in chinese


def test_merge_takes_choices_unions_lists_and_fills_gaps() -> None:
    a = individual(phones=["13800138000"], tags=["a"])
    b = domain.create(
        NewCustomer(
            kind=CustomerKind.INDIVIDUAL,
            name="张伟伟",
            phones=["13900139000", "13800138000"],
            tags=["b"],
            wechat_id="wx_zhangwei",
        ),
        id="c2",
        actor="a",
        now=NOW,
    )
    merged, changed = merge(a, [b], [FieldChoice("name", "c2")], actor="m", now=NOW)
    assert merged.id == "c1" and merged.name == "张伟伟" and merged.version == 2
    assert merged.phones == ["+8613800138000", "+8613900139000"]
    assert merged.tags == ["a", "b"] and merged.wechat_id == "wx_zhangwei"
    assert set(changed) == {"name", "phones", "tags", "wechat_id"}
    with pytest.raises(BadUserInput) as caught:
        check_request("c1", ["c1"], [FieldChoice("nope", "zz")])
    assert {e.code for e in caught.value.field_errors} == {
        "DUPLICATE_ID",
        "MERGE_SIZE",
        "UNKNOWN_FIELD",
        "NOT_IN_MERGE",
    }
    company = domain.create(
        NewCustomer(kind=CustomerKind.ENTERPRISE, name="X 公司"), id="c3", actor="a", now=NOW
    )
    with pytest.raises(BadUserInput):
        merge(a, [company], [], actor="m", now=NOW)
