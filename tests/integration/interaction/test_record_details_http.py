"""Communication records over HTTP: participants, outcome, next step, tags and attachments are
stored, validated (nothing written on bad input), edited with history, and erased with the
customer's personal content."""

from __future__ import annotations

from typing import Any

import pytest

from crm_kit.events import CloudEvent
from tests.integration.interaction.harness import Service
from tests.support import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

DETAILS = """
id version outcome nextStep tags
participants { kind id name }
attachments { name contentType sizeBytes url storageKey }
"""
LOG = f"mutation($input: LogInteractionInput!) {{ logInteraction(input: $input) {{ {DETAILS} }} }}"
UPDATE = f"""
mutation($id: ID!, $input: UpdateInteractionInput!) {{
  updateInteraction(id: $id, input: $input) {{
    {DETAILS}
    history {{
      version action outcome nextStep tags participants {{ name }} attachments {{ name }}
    }}
  }}
}}"""
GET = f"query($id: ID!) {{ interaction(id: $id) {{ {DETAILS} }} }}"


def log_input(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "customerId": customer_id,
            "channel": "MEETING",
            "direction": "OUTBOUND",
            "content": "上门拜访，讨论续约",
            "participants": [
                {"kind": "STAFF", "id": "alice"},
                {"kind": "CONTACT", "id": "cp-1", "name": "王经理"},
            ],
            "outcome": "FOLLOW_UP_NEEDED",
            "nextStep": "周五前发送报价",
            "tags": ["续约", "报价"],
            "attachments": [
                {
                    "name": "纪要.pdf",
                    "contentType": "application/pdf",
                    "sizeBytes": 2048,
                    "storageKey": "meetings/2026/11/minutes.pdf",
                }
            ],
            **extra,
        }
    }


async def test_details_are_logged_edited_with_history_and_erased(service: Service) -> None:
    customer_id = await service.new_customer()
    body = await service.query(LOG, log_input(customer_id))
    assert "errors" not in body, body
    logged = body["data"]["logInteraction"]
    assert logged["participants"] == [
        {"kind": "STAFF", "id": "alice", "name": None},
        {"kind": "CONTACT", "id": "cp-1", "name": "王经理"},
    ]
    assert logged["outcome"] == "FOLLOW_UP_NEEDED" and logged["tags"] == ["续约", "报价"]
    assert logged["attachments"][0]["storageKey"] == "meetings/2026/11/minutes.pdf"

    body = await service.query(
        UPDATE,
        {
            "id": logged["id"],
            "input": {"outcome": "SUCCESSFUL", "tags": ["签约"], "nextStep": "", "attachments": []},
        },
    )
    assert "errors" not in body, body
    edited = body["data"]["updateInteraction"]
    assert (edited["outcome"], edited["tags"], edited["nextStep"]) == ("SUCCESSFUL", ["签约"], None)
    assert edited["attachments"] == [] and len(edited["participants"]) == 2
    [before] = edited["history"]
    assert before["outcome"] == "FOLLOW_UP_NEEDED" and before["nextStep"] == "周五前发送报价"
    assert before["tags"] == ["续约", "报价"] and before["attachments"] == [{"name": "纪要.pdf"}]

    await service.bus.publish(
        CloudEvent(
            type="customer.erased.v1",
            source="crm/customer",
            subject=customer_id,
            data={"customerId": customer_id, "erasedAt": "2026-11-23T00:00:00Z", "actorId": "x"},
        )
    )

    async def erased() -> dict[str, Any] | None:
        found = (await service.query(GET, {"id": logged["id"]}))["data"]["interaction"]
        return found if found and found["participants"] == [] else None

    left = await eventually(erased)
    assert left["nextStep"] is None and left["attachments"] == []
    assert left["tags"] == ["签约"] and left["outcome"] == "SUCCESSFUL"  # not personal


async def test_bad_details_are_rejected_and_nothing_is_written(service: Service) -> None:
    customer_id = await service.new_customer()
    bad = log_input(
        customer_id,
        participants=[{"kind": "CONTACT"}],
        attachments=[{"name": "x", "contentType": "pdf", "sizeBytes": -1, "url": "javascript:x"}],
        tags=["x" * 51],
    )
    body = await service.query(LOG, bad)
    error = body["errors"][0]["extensions"]
    assert error["code"] == "BAD_USER_INPUT"
    assert {f["field"] for f in error["fieldErrors"]} == {
        "participants[0]",
        "attachments[0].contentType",
        "attachments[0].sizeBytes",
        "attachments[0].url",
        "tags[0]",
    }
    assert await service.db["interactions"].count_documents({"customerId": customer_id}) == 0
