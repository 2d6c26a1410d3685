"""The sales service as a process: probes, the federation SDL, authentication, indexes, the
settings, and errors in the caller's language."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.sales.harness import Sales
from tests.support import auth_headers, error_code

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_probes_answer_and_the_subgraph_declares_its_entities(service: Sales) -> None:
    async with httpx.AsyncClient() as client:
        alive = await client.get(f"{service.base}/healthz")
        ready = await client.get(f"{service.base}/readyz")
    assert alive.status_code == 200
    assert ready.status_code == 200 and ready.json()["checks"]["consumer"] is True
    sdl = (await service.ok("{ _service { sdl } }"))["_service"]["sdl"]
    assert 'type Customer @key(fields: "id")' in sdl
    assert 'type StaffMember @key(fields: "id")' in sdl
    for field in ("openPipeline", "openOpportunities", "pipelineBoard", "moveOpportunity"):
        assert field in sdl


async def test_a_request_without_a_token_is_unauthenticated(service: Sales) -> None:
    body = await service.gql("{ pipelines { id } }", headers={})
    assert error_code(body) == "UNAUTHENTICATED"


async def test_a_role_without_opportunity_access_is_forbidden(service: Sales) -> None:
    headers = auth_headers(sub="sam", roles=("SERVICE",), team="east")
    body = await service.gql("{ pipelines { id } }", headers=headers)
    assert error_code(body) == "FORBIDDEN"
    body = await service.gql("{ opportunities { totalCount } }", headers=headers)
    assert error_code(body) == "FORBIDDEN"


async def test_boot_creates_the_indexes_the_lists_use(service: Sales) -> None:
    names = {i["name"] async for i in await service.db["opportunities"].list_indexes()}
    assert {"customer_updated", "owner_status_close", "pipeline_stage_rank"} <= names


async def test_errors_come_in_the_callers_language(service: Sales) -> None:
    mutation = (
        'mutation { saveExchangeRate(input: {currency: "XXX", rate: "1", '
        'effectiveFrom: "2026-01-01"}) { exchangeRate { rate } } }'
    )
    zh = await service.gql(mutation)
    en = await service.http.post(
        service.graphql,
        json={"query": mutation},
        headers={**service.headers, "Accept-Language": "en"},
    )
    zh_error, en_error = zh["errors"][0], en.json()["errors"][0]
    assert zh_error["extensions"]["fieldErrors"][0]["code"] == "INVALID_CURRENCY"
    assert "币种无效" in zh_error["extensions"]["fieldErrors"][0]["message"]
    assert en_error["extensions"]["fieldErrors"][0]["message"].startswith("currency must be")
