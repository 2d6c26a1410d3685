"""The notification service's errors over HTTP in the caller's language: zh-CN without an
Accept-Language header, English when it asks for English; codes unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.harness import serve_service
from tests.integration.notification.service_support import MARK_READ, Service
from tests.support import auth_headers, gql, uid

pytestmark = pytest.mark.integration

PREFERENCES = """
mutation($input: NotificationPreferencesInput!) {
  updateNotificationPreferences(input: $input) { language timeZone }
}"""
REPLAY = "mutation($id: ID!) { replayNotificationDelivery(id: $id) { id } }"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service("notification", mongodb_uri, amqp_url) as handle:
        yield Service.of(handle)


async def only_error(
    service: Service, query: str, variables: dict[str, Any], language: str | None = None
) -> dict[str, Any]:
    headers = auth_headers(sub=uid("sales"), roles=("ADMIN",))
    if language is not None:
        headers["Accept-Language"] = language
    body = await gql(service.http, service.graphql, query, variables, headers)
    assert body.get("errors") and len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


async def test_preference_field_errors_in_both_languages(service: Service) -> None:
    bad = {"input": {"timeZone": "Mars/Olympus", "email": "not-an-address"}}
    chinese = await only_error(service, PREFERENCES, bad)
    english = await only_error(service, PREFERENCES, bad, "en")
    assert chinese["extensions"]["code"] == english["extensions"]["code"] == "BAD_USER_INPUT"
    assert chinese["message"] == "输入有误，请按各项提示修改"
    assert chinese["extensions"]["fieldErrors"] == [
        {
            "field": "timeZone",
            "code": "UNKNOWN_TIME_ZONE",
            "message": "时区无效，请使用 IANA 时区名称（如 Asia/Shanghai）",
        },
        {"field": "email", "code": "INVALID_EMAIL", "message": "电子邮箱地址无效"},
    ]
    assert english["message"] == "Invalid input"
    assert [e["message"] for e in english["extensions"]["fieldErrors"]] == [
        "Not an IANA time zone",
        "Not an email address",
    ]


async def test_a_single_field_error_is_also_the_top_level_message(service: Service) -> None:
    both = {"ids": ["n1"], "all": True}
    chinese = await only_error(service, MARK_READ, both)
    english = await only_error(service, MARK_READ, both, "en-GB,en;q=0.8")
    [field] = chinese["extensions"]["fieldErrors"]
    assert field["code"] == "CONFLICTING"
    assert chinese["message"] == field["message"] == "请指定通知或选择全部，二者只能选其一"
    assert english["message"] == english["extensions"]["fieldErrors"][0]["message"]
    assert english["message"] == "Pass either ids or all: true"


async def test_not_found_in_both_languages(service: Service) -> None:
    chinese = await only_error(service, REPLAY, {"id": "dl_missing"})
    english = await only_error(service, REPLAY, {"id": "dl_missing"}, "en")
    assert chinese["extensions"] == english["extensions"]
    assert chinese["extensions"]["code"] == "NOT_FOUND"
    assert chinese["message"] == "未找到该记录"
    assert english["message"] == "NotificationDelivery dl_missing not found"
