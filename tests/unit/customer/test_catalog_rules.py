"""Pure rules of the catalogs: custom field values, tags, assignment choice, similar names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_customer.assignment.model import Rule, Strategy, first_match, pick
from crm_customer.assignment.model import validated as validated_rule
from crm_customer.catalog.field_values import ValueFilter, apply_values, filter_terms, terms
from crm_customer.catalog.model import (
    FieldDefinition,
    FieldType,
    Tag,
    check_rename,
    renamed,
    split,
    validated_definition,
    validated_tag,
)
from crm_customer.customers.model import Customer
from crm_customer.customers.values import CustomerKind, LifecycleStage
from crm_customer.duplicates import fuzzy
from crm_customer.duplicates.model import DuplicateRule, merge, near_candidates, rank, similar
from crm_customer.history.model import diff
from crm_kit.errors import BadUserInput
from tests.support import field_codes

NOW = datetime(2026, 1, 5, tzinfo=UTC)
DEFS = {
    d.key: d
    for d in (
        FieldDefinition("budget", "预算", "Budget", FieldType.NUMBER),
        FieldDefinition("note", "备注", "Note", FieldType.TEXT),
        FieldDefinition("since", "起始", "Since", FieldType.DATE),
        FieldDefinition("level", "级别", "Level", FieldType.SELECT, True, ["A", "B"]),
        FieldDefinition(
            "channels", "渠道", "Channels", FieldType.MULTISELECT, False, ["web", "tel"]
        ),
        FieldDefinition("vip", "贵宾", "VIP", FieldType.BOOLEAN),
        FieldDefinition("old", "旧", "Old", FieldType.TEXT, active=False),
    )
}


def test_custom_values_are_normalised_per_type() -> None:
    values = apply_values(
        DEFS,
        {
            "budget": 12.0,
            "note": "  two   words ",
            "since": "2024-02-29",
            "level": "A",
            "channels": ["tel", "web", "tel"],
            "vip": False,
        },
    )
    assert values == {
        "budget": 12,
        "channels": ["tel", "web"],
        "level": "A",
        "note": "two words",
        "since": "2024-02-29",
        "vip": False,
    }
    assert terms(values) == [
        "budget=12",
        "channels=tel",
        "channels=web",
        "level=a",
        "note=two words",
        "since=2024-02-29",
        "vip=false",
    ]


def test_bad_custom_values_name_each_field() -> None:
    with pytest.raises(BadUserInput) as exc:
        apply_values(
            DEFS,
            {
                "nope": 1,
                "old": "x",
                "budget": "12",
                "since": "2023-02-29",
                "level": "C",
                "channels": ["web", "fax"],
                "vip": "yes",
            },
        )
    assert field_codes(exc) == {
        "customFields.nope": "UNKNOWN_CUSTOM_FIELD",
        "customFields.old": "UNKNOWN_CUSTOM_FIELD",
        "customFields.budget": "CUSTOM_FIELD_TYPE",
        "customFields.since": "CUSTOM_FIELD_TYPE",
        "customFields.level": "OPTION_NOT_ALLOWED",
        "customFields.channels": "OPTION_NOT_ALLOWED",
        "customFields.vip": "CUSTOM_FIELD_TYPE",
    }
    with pytest.raises(BadUserInput) as exc:
        apply_values(DEFS, {"budget": True})  # a boolean is not a number; level is required
    assert field_codes(exc) == {
        "customFields.budget": "CUSTOM_FIELD_TYPE",
        "customFields.level": "CUSTOM_FIELD_REQUIRED",
    }


def test_update_is_a_patch_and_required_is_enforced_only_when_touched() -> None:
    current = {"budget": 5, "old": "kept"}  # stored before `level` became required
    assert apply_values(DEFS, {"budget": None, "vip": True}, current) == {
        "old": "kept",
        "vip": True,
    }
    with pytest.raises(BadUserInput) as exc:
        apply_values(DEFS, {"level": None}, {"level": "A"})
    assert field_codes(exc) == {"customFields.level": "CUSTOM_FIELD_REQUIRED"}


def test_definitions_are_validated_and_their_type_is_fixed() -> None:
    draft = FieldDefinition("Bad Key", " ", "x" * 101, FieldType.SELECT)
    with pytest.raises(BadUserInput) as exc:
        validated_definition(draft, None, actor="a", now=NOW)
    assert field_codes(exc) == {
        "key": "INVALID_KEY",
        "labelZh": "REQUIRED",
        "labelEn": "TOO_LONG",
        "options": "OPTIONS_REQUIRED",
    }
    with pytest.raises(BadUserInput) as exc:
        validated_definition(DEFS["budget"], DEFS["note"], actor="a", now=NOW)
    assert field_codes(exc) == {"type": "TYPE_LOCKED"}
    clean = validated_definition(
        FieldDefinition("level", " 级别 ", "Level", FieldType.SELECT, options=["A", " A ", "B"]),
        None,
        actor="admin",
        now=NOW,
    )
    assert (clean.label_zh, clean.options, clean.updated_by) == ("级别", ["A", "B"], "admin")


def test_filter_terms_match_stored_terms() -> None:
    assert filter_terms([ValueFilter("level", "A"), ValueFilter("vip", True)]) == [
        "level=a",
        "vip=true",
    ]
    with pytest.raises(BadUserInput):
        filter_terms([ValueFilter("level", ["A"])])


def customer(**kw: object) -> Customer:
    values: dict[str, object] = {
        "id": "c1",
        "kind": CustomerKind.ENTERPRISE,
        "name": "云帆",
        "stage": LifecycleStage.LEAD,
        "created_at": NOW,
        "updated_at": NOW,
        "created_by": "a",
        "updated_by": "a",
    }
    values.update(kw)
    return Customer(**values)  # type: ignore[arg-type]


def test_history_lists_custom_field_changes_per_key() -> None:
    before = customer(custom_fields={"budget": 5, "note": "x"})
    after = customer(custom_fields={"budget": 6, "vip": True}, version=2)
    assert [(c.field, c.before, c.after) for c in diff(before, after)] == [
        ("custom_fields.budget", 5, 6),
        ("custom_fields.note", "x", None),
        ("custom_fields.vip", None, True),
    ]


def test_merge_keeps_survivor_custom_values_and_fills_the_rest() -> None:
    survivor = customer(custom_fields={"budget": 5})
    other = customer(id="c2", custom_fields={"budget": 9, "note": "from other"})
    merged, changed = merge(survivor, [other], [], actor="a", now=NOW)
    assert merged.custom_fields == {"budget": 5, "note": "from other"}
    assert "custom_fields" in changed


def test_tags_rename_split_and_validation() -> None:
    assert renamed(["a", "old", "b"], "old", "new") == ["a", "new", "b"]
    assert renamed(["new", "old"], "old", "new") == ["new"]
    assert split(["vip", "mine", "key"], {"vip", "key"}) == (["vip", "key"], ["mine"])
    with pytest.raises(BadUserInput) as exc:
        validated_tag(Tag("", color="red"), actor="a", now=NOW)
    assert field_codes(exc) == {"name": "INVALID_TAG", "color": "INVALID_COLOR"}
    assert validated_tag(Tag(" VIP ", "#AABBCC"), actor="a", now=NOW).color == "#aabbcc"
    with pytest.raises(BadUserInput) as exc:
        check_rename("vip", " vip ")
    assert field_codes(exc) == {"newName": "SAME_NAME"}


RULES = [
    Rule("r3", "catch-all", "general", Strategy.ROUND_ROBIN, position=9),
    Rule("r1", "Beijing IT", "north", Strategy.ROUND_ROBIN, 1, ["北京市"], industries=["I"]),
    Rule("r2", "Shanghai", "east", Strategy.LEAST_LOADED, 2, ["上海市"], ["上海市"]),
    Rule("r0", "off", "x", Strategy.ROUND_ROBIN, 0, active=False),
]


def test_first_matching_rule_in_order() -> None:
    assert first_match(RULES, "北京市", None, "i").id == "r1"  # type: ignore[union-attr]
    assert first_match(RULES, "北京市", None, "C").id == "r3"  # type: ignore[union-attr]
    assert first_match(RULES, "上海市", "上海市", None).id == "r2"  # type: ignore[union-attr]
    assert first_match(RULES[1:], "广东省", None, None) is None


def test_round_robin_and_least_loaded_picks_are_deterministic() -> None:
    staff = ["s2", "s1", "s3"]
    assert [pick(Strategy.ROUND_ROBIN, staff, n, {}) for n in range(1, 5)] == [
        "s1",
        "s2",
        "s3",
        "s1",
    ]
    loads = {"s1": 4, "s2": 1, "s3": 1}
    assert [pick(Strategy.LEAST_LOADED, staff, n, loads) for n in (1, 2)] == ["s2", "s3"]


def test_rule_validation() -> None:
    with pytest.raises(BadUserInput) as exc:
        validated_rule(
            Rule("r", " ", "", Strategy.ROUND_ROBIN, industries=["Z"]), actor="a", now=NOW
        )
    assert field_codes(exc) == {
        "name": "REQUIRED",
        "team": "REQUIRED",
        "industries[0]": "INVALID_INDUSTRY",
    }


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("北京云帆科技有限公司", "云帆科技(北京)有限责任公司"),
        ("杭州云帆科技有限公司", "杭州云帆网络科技有限公司"),
        ("华为技术有限公司", "花为技术有限公司"),  # same sound, different character
        ("Acme Trading Co., Ltd.", "ACME Trading Ltd"),
        ("Globex Corporation", "Globex Corp"),
    ],
)
def test_similar_company_names(a: str, b: str) -> None:
    assert fuzzy.score(a, b) is not None
    assert fuzzy.block_keys(a, "北京市") & fuzzy.block_keys(b, "北京市")


@pytest.mark.parametrize(
    ("a", "b"),
    [("腾讯科技有限公司", "百度科技有限公司"), ("Acme Co., Ltd.", "Apex Inc."), ("张伟", "李伟")],
)
def test_different_names_are_not_similar(a: str, b: str) -> None:
    assert fuzzy.score(a, b) is None


def test_similar_rule_scores_candidates_from_block_keys() -> None:
    holders = {"near:北京市:c:云帆": ["c1", "c2", "c3"], "phone:+8613800138000": ["c3"]}
    exact = rank("c1", holders)
    assert [(m.customer_id, m.rule) for m in exact] == [("c3", DuplicateRule.PHONE)]
    seen = {m.customer_id for m in exact}
    assert near_candidates("c1", holders, seen) == ["c2"]
    found = similar("c1", "北京云帆科技有限公司", {"c2": "云帆科技有限公司"}, seen)
    assert [(m.customer_id, m.rule, m.score) for m in found] == [
        ("c2", DuplicateRule.NAME_SIMILAR, fuzzy.MAX_SCORE)
    ]
    assert fuzzy.block_keys("云帆", None) == set()  # no region: no name rule
