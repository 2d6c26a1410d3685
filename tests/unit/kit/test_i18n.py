"""Errors in the caller's language: the catalogue's rules (crm_kit.i18n), and the extension
that applies them to a subgraph's masked errors (crm_kit.localise, installed by
crm_kit.graphql.Schema)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError

from crm_kit.errors import BadUserInput, Conflict, FieldError, Forbidden, NotFound
from crm_kit.graphql import Schema
from crm_kit.i18n import COMMON, EN, RAISED, ZH, Catalog, language_var, parse_accept_language
from crm_kit.localise import localised

CATALOG = Catalog(
    {
        "IN_PAST": ("不能早于当前时间", "Must not be in the past"),
        "TOO_LONG": ("内容过长", RAISED),
        "ROLE_READ_ONLY": ("您的角色只能查看", "Your role may only read"),
    },
    base=COMMON,
)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en-US,en;q=0.9", EN),
        ("zh-CN,zh;q=0.9,en;q=0.8", ZH),
        ("en;q=0.5,zh-CN;q=0.9", ZH),
        ("fr", ZH),
        ("", ZH),
        ("en;q=0", ZH),
        ("en;q=oops", ZH),
    ],
)
def test_the_request_language_is_zh_cn_unless_english_is_preferred(
    header: str, language: str
) -> None:
    assert parse_accept_language(header) == language


def test_a_service_entry_wins_over_the_kit_and_the_kit_fills_the_rest() -> None:
    assert CATALOG.text("TOO_LONG", "title is too long", ZH) == "内容过长"
    assert CATALOG.text("REQUIRED", "title is required", ZH) == COMMON["REQUIRED"][0]
    assert "REQUIRED" not in CATALOG  # own entries only: the kit's stay in the base
    assert CATALOG.text("NO_SUCH_CODE", "as raised", ZH) == "as raised"


def test_an_english_text_of_message_keeps_the_raised_message() -> None:
    assert CATALOG.text("TOO_LONG", "title must be at most 200 characters", EN) == (
        "title must be at most 200 characters"
    )
    assert CATALOG.text("IN_PAST", "dueAt must not be in the past", EN) == "Must not be in the past"


def test_the_language_defaults_to_the_request_language() -> None:
    token = language_var.set(EN)
    try:
        assert CATALOG.text("IN_PAST", "raised") == "Must not be in the past"
    finally:
        language_var.reset(token)
    assert CATALOG.text("IN_PAST", "raised") == "不能早于当前时间"


def test_field_errors_are_rewritten_and_keep_their_other_keys() -> None:
    extensions = {
        "code": "BAD_USER_INPUT",
        "fieldErrors": [
            {"field": "title", "code": "TOO_LONG", "message": "title is too long"},
            {"field": "dueAt", "code": "IN_PAST", "message": "dueAt must not be in the past"},
        ],
    }
    zh = CATALOG.field_errors(extensions, ZH)["fieldErrors"]
    assert zh == [
        {"field": "title", "code": "TOO_LONG", "message": "内容过长"},
        {"field": "dueAt", "code": "IN_PAST", "message": "不能早于当前时间"},
    ]
    en = CATALOG.field_errors(extensions, EN)["fieldErrors"]
    assert [e["message"] for e in en] == ["title is too long", "Must not be in the past"]
    assert extensions["fieldErrors"][0]["message"] == "title is too long"  # not mutated


def test_a_top_level_message_takes_its_key_then_its_single_field_then_its_code() -> None:
    keyed = Forbidden("Your role may read tasks only", message_key="ROLE_READ_ONLY")
    assert CATALOG.error_message(keyed.message, keyed.extensions, ZH, keyed.message_key) == (
        "您的角色只能查看"
    )
    assert CATALOG.error_message(keyed.message, keyed.extensions, EN, keyed.message_key) == (
        "Your role may only read"
    )
    single = BadUserInput.single("dueAt", "IN_PAST", "dueAt must not be in the past")
    assert CATALOG.error_message(single.message, single.extensions, ZH) == "不能早于当前时间"
    several = BadUserInput([FieldError("a", "IN_PAST", "a"), FieldError("b", "TOO_LONG", "b")])
    generic = COMMON["error.BAD_USER_INPUT"][0]
    assert CATALOG.error_message(several.message, several.extensions, ZH) == generic
    assert CATALOG.error_message(several.message, several.extensions, EN) == "Invalid input"
    missing = NotFound("Ticket", "t-1")
    assert CATALOG.error_message(missing.message, missing.extensions, ZH) == "未找到该记录"
    assert CATALOG.error_message(missing.message, missing.extensions, EN) == "Ticket t-1 not found"


def test_an_unknown_message_key_falls_back_on_the_generic_text() -> None:
    conflict = Conflict("changed", conflicting_id="x", message_key="NOT_IN_THE_CATALOGUE")
    text = CATALOG.error_message(conflict.message, conflict.extensions, ZH, "NOT_IN_THE_CATALOGUE")
    assert text == COMMON["error.CONFLICT"][0]


def test_every_error_code_has_a_generic_chinese_text() -> None:
    from crm_kit.errors import ErrorCode

    for code in ErrorCode:
        zh, en = COMMON[f"error.{code}"]
        assert any("\u4e00" <= c <= "\u9fff" for c in zh) and en == RAISED


def test_a_validation_error_keeps_graphql_cores_message() -> None:
    error = GraphQLError("Cannot query field 'nope' on type 'Query'.", extensions={"code": "X"})
    assert localised(error, CATALOG, ZH).message == error.message


@strawberry.type
class Query:
    @strawberry.field
    def due(self) -> str:
        raise BadUserInput(
            [
                FieldError("title", "REQUIRED", "title is required"),
                FieldError("dueAt", "IN_PAST", "dueAt must not be in the past"),
            ]
        )

    @strawberry.field
    def ticket(self) -> str:
        raise NotFound("Ticket", "t-1")

    @strawberry.field
    def read_only(self) -> str:
        raise Forbidden("Your role may read tasks only", message_key="ROLE_READ_ONLY")

    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("secret internals")


SCHEMA = Schema(query=Query, catalog=CATALOG)


@pytest.fixture
def english() -> Iterator[None]:
    token = language_var.set(EN)
    yield
    language_var.reset(token)


async def errors_of(field: str) -> list[dict[str, Any]]:
    result = await SCHEMA.execute(f"{{ {field} }}")
    assert result.errors
    return [e.formatted for e in result.errors]


async def test_the_schema_localises_after_masking_in_chinese_by_default() -> None:
    [due] = await errors_of("due")
    assert due["message"] == COMMON["error.BAD_USER_INPUT"][0]
    assert due["extensions"]["fieldErrors"] == [
        {"field": "title", "code": "REQUIRED", "message": COMMON["REQUIRED"][0]},
        {"field": "dueAt", "code": "IN_PAST", "message": "不能早于当前时间"},
    ]
    [ticket] = await errors_of("ticket")
    assert ticket["message"] == "未找到该记录"
    assert ticket["extensions"] == {"code": "NOT_FOUND", "kind": "Ticket", "id": "t-1"}
    [read_only] = await errors_of("readOnly")
    assert read_only["message"] == "您的角色只能查看"
    assert read_only["extensions"] == {"code": "FORBIDDEN"}


async def test_the_schema_answers_english_when_asked(english: None) -> None:
    [due] = await errors_of("due")
    assert due["message"] == "Invalid input"
    assert [e["message"] for e in due["extensions"]["fieldErrors"]] == [
        "title is required",
        "Must not be in the past",
    ]
    [ticket] = await errors_of("ticket")
    assert ticket["message"] == "Ticket t-1 not found"


async def test_a_masked_internal_error_is_localised_with_its_request_id() -> None:
    [broken] = await errors_of("broken")
    request_id = broken["extensions"]["requestId"]
    assert broken["message"] == f"服务器内部错误，请联系管理员（请求编号 {request_id}）"
    assert "secret" not in str(broken)
