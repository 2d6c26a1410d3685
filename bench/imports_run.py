"""The import scenario: a generated CSV uploaded through the gateway, timed to the job's end.

The file is what `bench.customer.imports` generates (valid ID numbers and credit codes, ~5 %
rows with an invalid ID number or phone, ~2 % repeating an earlier row's phone, half without an
owner so the assignment rule picks one). It is sent as a GraphQL multipart request
(`importCustomers`), then `importJob` is polled until the job has finished; the figures are
the time to accept the upload, the time to the job's end, rows per second and the job's
counters (created / failed), so a row-level error report that stops matching the file shows.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import orjson

from bench.customer.imports import csv_file
from bench.scenarios import Gateway, GraphQLError

UPLOAD = """mutation($f: Upload!, $k: String) {
  importCustomers(file: $f, idempotencyKey: $k) { id status totalRows }
}"""
JOB = """query($id: ID!) { importJob(id: $id) { status processed created failed skipped } }"""
FINISHED = {"COMPLETED", "FAILED"}


async def run_import(gw: Gateway, rows: int, run_id: str, timeout: float = 900) -> dict[str, Any]:
    """Upload `rows` generated rows and wait for the job; the figures of that run."""
    body = csv_file(random.Random(rows), rows, [])
    operations = {"query": UPLOAD, "variables": {"f": None, "k": f"{run_id}-import-{rows}"}}
    started = time.perf_counter()
    response = await gw.http.post(
        gw.url,
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
        files={"0": (f"bench-{rows}.csv", body, "text/csv")},
        headers=gw.headers,
    )
    answer = response.json()
    if answer.get("errors"):
        raise GraphQLError(str(answer["errors"][0].get("message")))
    accepted = time.perf_counter() - started
    job = answer["data"]["importCustomers"]
    if job["totalRows"] != rows:
        raise GraphQLError(f"job counted {job['totalRows']} rows, the file has {rows}")
    deadline = started + timeout
    while True:
        state = (await gw.gql(JOB, {"id": job["id"]}))["importJob"]
        if state["status"] in FINISHED:
            break
        if time.perf_counter() > deadline:
            raise GraphQLError(f"import of {rows} rows not finished after {timeout:.0f} s")
        await asyncio.sleep(0.5)
    elapsed = time.perf_counter() - started
    return {
        "rows": rows,
        "bytes": len(body),
        "status": state["status"],
        "upload_seconds": round(accepted, 2),
        "seconds": round(elapsed, 1),
        "rows_per_second": round(rows / elapsed, 1),
        "created": state["created"],
        "failed": state["failed"],
        "skipped": state["skipped"],
    }
