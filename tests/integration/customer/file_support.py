"""What the customer import and export tests share: the import mutation, a service handle that
uploads files and waits for their jobs, and downloads of a `CustomerFile` link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from crm_customer.customers.store import CustomerRepository
from crm_customer.protection.crypto import DataProtector
from tests.harness import ServiceHandle
from tests.support import auth_headers, eventually

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
ANALYST = auth_headers(sub="ana", roles=("ANALYST",), team="east")
ID_CARD = "11010519491231002X"
JOB = """id status processed created updated skipped failed totalRows dryRun
  errors { totalCount edges { node { row column code messageZh messageEn customerId } } }"""
IMPORT = f"""mutation($f: Upload!, $mode: ImportMode, $key: ImportUpsertKey, $dry: Boolean,
  $idem: String) {{ importCustomers(file: $f, mode: $mode, upsertKey: $key, dryRun: $dry,
  idempotencyKey: $idem) {{ {JOB} }} }}"""
GET_JOB = f"query($id: ID!) {{ importJob(id: $id) {{ {JOB} }} }}"
HEADER = "客户类型,客户名称,手机号码,身份证号码,电子邮箱,省份\n"


@dataclass
class Service(ServiceHandle):
    @property
    def repo(self) -> CustomerRepository:
        return CustomerRepository(self.db, DataProtector.from_env())

    async def upload(
        self,
        data: bytes,
        name: str = "customers.csv",
        headers: dict[str, str] | None = None,
        **variables: Any,
    ) -> httpx.Response:
        operations = {"query": IMPORT, "variables": {"f": None, **variables}}
        return await self.http.post(
            self.graphql,
            data={"operations": orjson.dumps(operations).decode(), "map": '{"0": ["variables.f"]}'},
            files={"0": (name, data, "application/octet-stream")},
            headers=headers or ADMIN,
        )

    async def start(self, data: bytes, name: str = "customers.csv", **variables: Any) -> Any:
        response = await self.upload(data, name, **variables)
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["importCustomers"]

    async def run(self, text: str, **variables: Any) -> dict[str, Any]:
        return await self.finished((await self.start(text.encode(), **variables))["id"])

    async def finished(self, job_id: str) -> dict[str, Any]:
        async def done() -> Any:
            body = await self.gql(GET_JOB, {"id": job_id})
            job = body["data"]["importJob"]
            if job["status"] != "COMPLETED":
                return None
            assert job["errors"]["totalCount"] == len(job["errors"]["edges"])
            return {**job, "errors": [e["node"] for e in job["errors"]["edges"]]}

        result: dict[str, Any] = await eventually(done, timeout=60, interval=0.2)
        return result


async def download(svc: ServiceHandle, file: dict[str, Any], **headers: str) -> httpx.Response:
    """GET a CustomerFile's `url` from the service itself (the gateway forwards
    `/files/customer/<token>` to the service's `/files/<token>`)."""
    token = file["url"].removeprefix("/files/customer/")
    assert token != file["url"], file
    return await svc.http.get(f"{svc.base}/files/{token}", headers=headers)


async def fetch(svc: ServiceHandle, file: dict[str, Any]) -> bytes:
    response = await download(svc, file)
    assert response.status_code == 200, response.text
    assert int(response.headers["content-length"]) == file["size"] == len(response.content)
    assert response.headers["content-type"] == file["contentType"]
    return response.content
