"""Customer import through the gateway: a CSV uploaded as a GraphQL multipart request, its
progress pushed over graphql-transport-ws (subscription through the gateway), the result read
back through the gateway and its error report downloaded from the link the API gives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from crm_customer.i18n import EN, message
from tests.harness import serve_system
from tests.integration.notification.ws_client import PROTOCOL
from tests.support import auth_headers

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
UPLOAD = """mutation($f: Upload!) { importCustomers(file: $f) { id status totalRows } }"""
PROGRESS = """subscription($id: ID!) { importJobProgress(id: $id) {
  status processed created failed } }"""
RESULT = """query($id: ID!) { importJob(id: $id) { status processed created failed
  errors { totalCount edges { node { row column code message } } }
  errorReport(format: XLSX) { fileName size url } } }"""


@pytest.fixture
async def gateway(mongodb_uri: str, amqp_url: str) -> AsyncIterator[str]:
    rows = {"CUSTOMER_IMPORT_BATCH_ROWS": "2"}  # several progress steps
    async with serve_system(mongodb_uri, amqp_url, ("customer",), env=rows) as system:
        yield system.gateway


async def test_csv_upload_through_the_gateway_with_live_progress(gateway: str) -> None:
    good = 40  # 21 batches of 2: the job is still running when the subscription starts
    csv_text = (
        "Kind,Name,Phones,Province\n"
        + "".join(f"INDIVIDUAL,客户{i},1380013{8000 + i},北京市\n" for i in range(good))
        + "INDIVIDUAL,坏号码,12345,北京市\n"
    )
    operations = {"query": UPLOAD, "variables": {"f": None}}
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.post(
            f"{gateway}/graphql",
            data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
            files={"0": ("customers.csv", csv_text.encode(), "text/csv")},
            headers=ADMIN,
        )
        body = response.json()
        assert "errors" not in body, body
        job = body["data"]["importCustomers"]
        assert job["totalRows"] == good + 1
        seen: list[dict[str, Any]] = []
        query = {"query": PROGRESS, "variables": {"id": job["id"]}}
        ws_url = f"{gateway}/graphql".replace("http://", "ws://", 1)
        async with connect(ws_url, subprotocols=[PROTOCOL], open_timeout=10) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": ADMIN["Authorization"]}}
            await ws.send(orjson.dumps(init).decode())
            assert orjson.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": query}).decode())
            while not seen or seen[-1]["status"] != "COMPLETED":
                payload = await asyncio.wait_for(_next(ws), timeout=60)
                assert "errors" not in payload, payload
                seen.append(payload["data"]["importJobProgress"])
        processed = [s["processed"] for s in seen]
        assert processed == sorted(processed) and processed[-1] == good + 1
        assert len(set(processed)) >= 2  # pushed while it ran, not only at the end
        assert (seen[-1]["created"], seen[-1]["failed"]) == (good, 1)
        result = (
            await http.post(
                f"{gateway}/graphql",
                json={"query": RESULT, "variables": {"id": job["id"]}},
                headers={**ADMIN, "Accept-Language": "en"},
            )
        ).json()
        assert "errors" not in result, result
        found = result["data"]["importJob"]
        assert found["errors"] == {"totalCount": 1, "edges": [{"node":
            {"row": good + 2, "column": "Phones", "code": "INVALID_PHONE",
             "message": message("INVALID_PHONE", "", EN)}
        }]}  # fmt: skip
        downloaded = await http.get(gateway + found["errorReport"]["url"])  # no token needed
        assert downloaded.status_code == 200, downloaded.text
        report = downloaded.content
        assert report.startswith(b"PK") and found["errorReport"]["fileName"].endswith(".xlsx")
        assert len(report) == found["errorReport"]["size"]


async def _next(ws: ClientConnection) -> dict[str, Any]:
    """The next `next` payload; pings are answered."""
    while True:
        message = orjson.loads(await ws.recv())
        if message["type"] == "ping":
            await ws.send('{"type":"pong"}')
            continue
        assert message["type"] == "next", message
        payload: dict[str, Any] = message["payload"]
        return payload
