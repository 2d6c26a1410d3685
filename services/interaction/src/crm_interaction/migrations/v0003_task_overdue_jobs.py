"""0003: the overdue check (`task.overdue.v1`) for OPEN tasks created before it existed: one
scheduler job per task, created only where none exists (safe to run again)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.scheduling.store import JOBS, PENDING
from crm_interaction.tasks.model import OVERDUE_GRACE, TaskStatus
from crm_interaction.tasks.service import OVERDUE_JOB, overdue_job_id
from crm_interaction.tasks.store import TASKS
from crm_kit.mongo import Document


async def apply(db: AsyncDatabase[Document]) -> None:
    cursor = db[TASKS].find({"status": str(TaskStatus.OPEN)}, {"_id": 1, "dueAt": 1})
    async for task in cursor:
        task_id = str(task["_id"])
        await db[JOBS].update_one(
            {"_id": overdue_job_id(task_id)},
            {
                "$setOnInsert": {
                    "kind": OVERDUE_JOB,
                    "refId": task_id,
                    "dueAt": task["dueAt"] + OVERDUE_GRACE,
                    "data": {"taskId": task_id},
                    "status": PENDING,
                    "leaseOwner": None,
                    "leaseUntil": None,
                    "attempts": 0,
                }
            },
            upsert=True,
        )
