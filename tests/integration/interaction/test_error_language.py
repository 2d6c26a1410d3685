"""The interaction service's errors over HTTP in the caller's language: zh-CN without an
Accept-Language header, English when it asks for English; field errors and the top-level
message alike, codes unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.interaction.harness import Service
from tests.support import auth_headers

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CREATE = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id version } }"
UPDATE = """
mutation($id: ID!, $input: UpdateTaskInput!, $v: Int) {
  updateTask(id: $id, input: $input, expectedVersion: $v) { id }
}"""
TICKET = "query($id: ID!) { ticket(id: $id) { id } }"
ENGLISH = {**auth_headers(), "Accept-Language": "en-US,en;q=0.9"}


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors") and len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


def blank_and_past(customer_id: str) -> dict[str, Any]:
    return {"input": {"customerId": customer_id, "title": "  ", "dueAt": "2020-01-01T00:00:00Z"}}


async def test_create_task_field_errors_are_chinese_by_default(service: Service) -> None:
    customer_id = await service.new_customer()
    error = only_error(await service.query(CREATE, blank_and_past(customer_id)))
    assert error["message"] == "输入有误，请按各项提示修改"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"] == [
        {"field": "title", "code": "REQUIRED", "message": "此项为必填项"},
        {"field": "dueAt", "code": "IN_PAST", "message": "不能早于当前时间"},
    ]


async def test_create_task_field_errors_are_english_when_asked(service: Service) -> None:
    customer_id = await service.new_customer()
    body = await service.query(CREATE, blank_and_past(customer_id), headers=ENGLISH)
    error = only_error(body)
    assert error["message"] == "Invalid input"
    assert error["extensions"]["fieldErrors"] == [
        {"field": "title", "code": "REQUIRED", "message": "title is required"},
        {"field": "dueAt", "code": "IN_PAST", "message": "dueAt must not be in the past"},
    ]


async def test_not_found_in_both_languages(service: Service) -> None:
    chinese = only_error(await service.query(TICKET, {"id": "tk_missing"}))
    english = only_error(await service.query(TICKET, {"id": "tk_missing"}, headers=ENGLISH))
    assert chinese["message"] == "未找到该记录"
    assert english["message"] == "Ticket tk_missing not found"
    assert chinese["extensions"] == english["extensions"]
    assert chinese["extensions"]["code"] == "NOT_FOUND"


async def test_a_stale_version_is_a_conflict_in_both_languages(service: Service) -> None:
    customer_id = await service.new_customer()
    future = {"customerId": customer_id, "title": "回访", "dueAt": "2099-01-01T00:00:00Z"}
    created = await service.query(CREATE, {"input": future})
    task = created["data"]["createTask"]
    stale = {"id": task["id"], "input": {"title": "再次回访"}, "v": task["version"] + 1}
    chinese = only_error(await service.query(UPDATE, stale))
    english = only_error(await service.query(UPDATE, stale, headers=ENGLISH))
    assert chinese["extensions"]["code"] == english["extensions"]["code"] == "CONFLICT"
    assert chinese["message"] == "该记录已被他人修改，请刷新后重试"
    assert "changed" in english["message"]
