"""Explain plans of the exact commands an operation sent (captured by `bench.cost`)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError


def summary(plan: dict[str, Any]) -> str:
    """MongoDB: the winning plan's stages and index; mongoeco: SQLite's query plan."""
    engine = plan.get("engine_plan", plan)
    details = engine.get("details", {}) if isinstance(engine, dict) else {}
    if isinstance(details, dict) and details.get("engine_details"):
        return "; ".join(str(d) for d in details["engine_details"])
    winning = plan.get("queryPlanner", {}).get("winningPlan")
    stages: list[str] = []
    while isinstance(winning, dict):
        stage = str(winning.get("stage", "?"))
        if winning.get("indexName"):
            stage += f" {winning['indexName']}"
        stages.append(stage)
        winning = winning.get("inputStage")
    return " ← ".join(stages) if stages else str(plan)[:200]


async def plans(
    mongodb_uri: str, shapes: dict[str, dict[str, tuple[str, dict[str, Any]]]]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    try:
        for operation, commands in shapes.items():
            for label, (db, command) in commands.items():
                row = {"operation": operation, "command": label, "hint": command.get("hint")}
                try:
                    found = await client[db].command(
                        {"explain": command, "verbosity": "queryPlanner"}
                    )
                    row["plan"] = summary(found).replace("|", "/")
                except PyMongoError as exc:
                    row["plan"] = f"explain failed: {type(exc).__name__}"
                out.append(row)
    finally:
        await client.close()
    return out
