"""The duplicate rules as a reader would apply them: numbers, branches and legal forms in
names, a person's name needing a second signal, and the bounds on candidates per record."""

from __future__ import annotations

from typing import Any

import pytest

from crm_customer.customers.documents import name_key
from crm_customer.duplicates import fuzzy
from crm_customer.duplicates.model import (
    BLOCK_SIZE,
    MAX_CANDIDATES,
    MAX_PAIRS,
    DuplicateRule,
    by_score,
    match_keys,
    near_candidates,
    rank,
    similar,
    strongest_per_record,
)

BEIJING = "北京市"


def doc(kind: str, name: str, **fields: Any) -> dict[str, Any]:
    """A stored customer document as far as the name rules read it."""
    return {"kind": kind, "name": name, "name_key": name_key(name), "region": BEIJING, **fields}


def name_keys(document: dict[str, Any]) -> set[str]:
    return {k for k in match_keys(document) if k.split(":")[0] in {"name", "person", "near"}}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("测试科技有限公司1", "测试科技有限公司2"),
        ("测试科技有限公司12", "测试科技有限公司13"),
        ("导入测试7-1", "导入测试7-2"),
        ("云帆科技第三分店", "云帆科技第四分店"),
        ("云帆科技三号店", "云帆科技五号店"),
        ("Acme Trading 2 Ltd", "Acme Trading 3 Ltd"),
    ],
)
def test_names_that_differ_by_a_number_are_different_entities(a: str, b: str) -> None:
    assert fuzzy.score(a, b) is None
    assert not fuzzy.block_keys(a, BEIJING) & fuzzy.block_keys(b, BEIJING)  # never scored


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("测试科技有限公司1", "测试科技有限公司-01"),  # the same number, written otherwise
        ("测试科技有限公司1", "测试科技1有限公司"),
        ("云帆科技第三分店", "云帆科技有限公司第3分店"),
    ],
)
def test_the_same_number_written_otherwise_is_the_same_name(a: str, b: str) -> None:
    assert fuzzy.score(a, b) == fuzzy.MAX_SCORE
    assert fuzzy.block_keys(a, BEIJING) & fuzzy.block_keys(b, BEIJING)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华为技术有限公司北京分公司", "华为技术有限公司上海分公司"),  # another city's branch
        ("华为技术有限公司北京分公司", "华为技术有限公司"),  # a branch and its head office
        ("招商银行南山支行", "招商银行福田支行"),
        ("Acme Ltd. Shanghai Branch", "Acme Ltd. Beijing Branch"),
    ],
)
def test_names_of_different_branches_are_different_entities(a: str, b: str) -> None:
    assert fuzzy.score(a, b) is None
    assert not fuzzy.block_keys(a, BEIJING) & fuzzy.block_keys(b, BEIJING)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("华为技术有限公司", "华为技术股份有限公司"),
        ("华为技术有限公司北京分公司", "华为技术股份有限公司（北京分公司）"),
        ("招商银行南山支行", "招商银行股份有限公司南山支行"),
        ("Acme Inc.", "ACME LLC"),
        ("云帆集团", "云帆有限责任公司"),
    ],
)
def test_legal_forms_are_noise(a: str, b: str) -> None:
    assert fuzzy.score(a, b) == fuzzy.MAX_SCORE
    assert fuzzy.block_keys(a, BEIJING) & fuzzy.block_keys(b, BEIJING)


def test_a_chinese_numeral_is_a_number_only_when_counted() -> None:
    assert fuzzy.read("第十二分公司").numbers == ("12",)
    assert fuzzy.read("一百零五号").numbers == ("105",)
    assert fuzzy.read("王一").numbers == ()  # a given name, not a count
    assert fuzzy.score("三星电子有限公司", "三星电子股份有限公司") == fuzzy.MAX_SCORE


def test_an_enterprise_name_with_legal_form_variants_shares_its_name_key() -> None:
    a = name_keys(doc("ENTERPRISE", "华为技术有限公司"))
    b = name_keys(doc("ENTERPRISE", "华为技术股份有限公司"))
    assert "name:北京市:华为技术" in a & b


def test_a_person_name_alone_registers_no_name_key() -> None:
    assert name_keys(doc("INDIVIDUAL", "张伟")) == set()
    assert name_keys(doc("INDIVIDUAL", "张伟", birthday=None)) == set()


def test_a_person_name_counts_with_the_birthday() -> None:
    born = doc("INDIVIDUAL", "张伟", birthday="1990-01-01")
    assert name_keys(born) == {"person:北京市:张伟:1990-01-01", "near:北京市:b:1990-01-01:z"}
    other_day = doc("INDIVIDUAL", "张伟", birthday="1990-01-02")
    assert not name_keys(born) & name_keys(other_day)
    typo = doc("INDIVIDUAL", "张玮", birthday="1990-01-01")  # same sound, same birthday
    assert name_keys(born) & name_keys(typo) == {"near:北京市:b:1990-01-01:z"}
    ranked = rank("x", {"person:北京市:张伟:1990-01-01": ["p1"], "name:北京市:张伟": ["e1"]})
    assert [(m.customer_id, m.rule) for m in ranked] == [
        ("p1", DuplicateRule.NAME_BIRTHDAY),
        ("e1", DuplicateRule.NAME_REGION),
    ]


def test_a_person_and_an_enterprise_of_the_same_name_share_no_name_key() -> None:
    person = doc("INDIVIDUAL", "云帆", birthday="1990-01-01")
    assert not name_keys(person) & name_keys(doc("ENTERPRISE", "云帆"))


def test_exact_keys_still_rank_above_every_name_rule() -> None:
    holders = {
        "phone:h": ["p"],
        "person:北京市:张伟:1990-01-01": ["b"],
        "idcard:h": ["i"],
        "email:h": ["e"],
    }
    assert [m.rule for m in rank("x", holders)] == [
        DuplicateRule.ID_CARD,
        DuplicateRule.PHONE,
        DuplicateRule.EMAIL,
        DuplicateRule.NAME_BIRTHDAY,
    ]


def test_a_record_opens_at_most_max_pairs_the_strongest() -> None:
    names = [("x", f"n{i}", "NAME_REGION", 0.6) for i in range(12)]
    exact = [("x", "phone-twin", "PHONE", 0.9)]
    others = [("y", f"m{i}", "NAME_SIMILAR", 0.55) for i in range(3)]
    kept = strongest_per_record([*names, *exact, *others])
    mine = [p for p in kept if p[0] == "x"]
    assert len(mine) == MAX_PAIRS
    assert mine[0] == ("x", "phone-twin", "PHONE", 0.9)
    assert [p for p in kept if p[0] == "y"] == others  # another record's own bound


def test_the_fuzzy_scan_is_bounded_and_reads_the_newest_first() -> None:
    block = [f"c{i:04d}" for i in range(1000)]  # oldest first, as a key stores them
    found = near_candidates("me", {"near:北京市:c:云帆": block, "phone:h": ["p"]}, set())
    assert len(found) == MAX_CANDIDATES
    assert found[:2] == ["c0999", "c0998"]
    assert MAX_CANDIDATES <= 2 * BLOCK_SIZE  # two blocks read, each at most BLOCK_SIZE


def test_equal_scores_keep_the_newer_holder_first() -> None:
    ranked = rank("x", {"phone:h": ["a-old", "z-new"]})
    assert [m.customer_id for m in ranked] == ["z-new", "a-old"]
    newest_first = {"z2": "云帆科技有限公司", "a1": "云帆科技股份有限公司"}
    found = similar("x", "云帆科技", newest_first, set())
    assert [m.customer_id for m in by_score(found)] == ["z2", "a1"]
