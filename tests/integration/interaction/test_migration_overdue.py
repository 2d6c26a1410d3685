"""Migration 0003 gives OPEN tasks created before the overdue check their job, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo import AsyncMongoClient

from crm_interaction.migrations import v0003_task_overdue_jobs
from crm_kit.mongo import Document
from tests.support import unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_open_tasks_get_one_overdue_job(mongodb_uri: str) -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    db = client[unique("mig_interaction")]
    due = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    try:
        await db["tasks"].insert_many(
            [
                {"_id": "open-1", "status": "OPEN", "dueAt": due},
                {"_id": "done-1", "status": "DONE", "dueAt": due},
            ]
        )
        await v0003_task_overdue_jobs.apply(db)
        await v0003_task_overdue_jobs.apply(db)  # again: nothing more
        jobs = await db["scheduled_jobs"].find().to_list()
        assert [(j["_id"], j["kind"], j["refId"]) for j in jobs] == [
            ("task:open-1:overdue", "task.overdue", "open-1")
        ]
        assert jobs[0]["dueAt"] == due + timedelta(minutes=1) and jobs[0]["status"] == "pending"
    finally:
        await client.drop_database(db.name)
        await client.close()
