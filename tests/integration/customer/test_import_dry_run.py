"""A dry run checks each row against the rows of earlier batches it would have created, through
their match keys, kept while it runs and dropped when it ends. An UPSERT dry run counts a row
naming the customer an earlier row would create as an update, as the real run then does."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crm_customer.imports.store import JobRepository
from crm_customer.protection.crypto import DataProtector
from tests.harness import serve_service
from tests.integration.customer.test_import_export import ADMIN, Service

pytestmark = pytest.mark.integration

HEADER = "客户类型,客户名称,手机号码,电子邮箱\n"


@pytest.fixture(scope="module")
async def svc(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service(
        "customer",
        mongodb_uri,
        amqp_url,
        env={"CUSTOMER_IMPORT_BATCH_ROWS": "1"},  # every row a batch of its own
        headers=ADMIN,
        http_timeout=60,
    ) as handle:
        yield Service.of(handle)


async def test_a_dry_run_sees_earlier_batches_and_drops_its_file_keys_when_it_ends(
    svc: Service,
) -> None:
    text = HEADER + (
        "个人,键一,13711137000,k1@example.com\n"
        "个人,键二,13711137000,\n"  # repeats row 2, in the next batch
    )
    done = await svc.run(text, dry=True)
    job_id = done["id"]
    assert [(e["row"], e["column"], e["code"]) for e in done["errors"]] == [
        (3, "手机号码", "DUPLICATE_IN_FILE")
    ]
    assert await svc.db["customer_job_file_keys"].count_documents({"job_id": job_id}) == 0
    assert await svc.db["customers"].count_documents({"name": {"$in": ["键一", "键二"]}}) == 0


async def test_file_keys_keep_each_keys_first_row_and_leave_out_a_batch_run_again(
    svc: Service,
) -> None:
    repo = JobRepository(svc.db, DataProtector.from_env())
    await repo.add_file_keys("job-a", {"phone:p1": 2, "email:e1": 3})
    await repo.add_file_keys("job-a", {"phone:p1": 6, "uscc:u1": 5})  # p1 keeps row 2
    await repo.add_file_keys("job-b", {"idcard:i1": 2})
    wanted = {"phone:p1", "email:e1", "uscc:u1", "idcard:i1"}
    assert await repo.file_keys("job-a", wanted, before=5) == {"phone:p1": 2, "email:e1": 3}
    assert await repo.file_keys("job-a", wanted, before=6) == {
        "phone:p1": 2, "email:e1": 3, "uscc:u1": 5,
    }  # fmt: skip


async def test_an_upsert_dry_run_updates_the_customer_an_earlier_row_would_create(
    svc: Service,
) -> None:
    text = HEADER + (
        "个人,先有,13711137100,\n"  # row 2: created
        "个人,先有,13711137100,x1@example.com\n"  # row 3: updates row 2's customer
    )
    dry = await svc.run(text, dry=True, mode="UPSERT", key="PHONE")
    real = await svc.run(text, mode="UPSERT", key="PHONE")
    counts = ("created", "updated", "skipped", "failed")
    assert [dry[c] for c in counts] == [real[c] for c in counts] == [1, 1, 0, 0]
