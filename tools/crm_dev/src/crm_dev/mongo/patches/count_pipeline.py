"""Answer the driver's count pipeline with one SQL `COUNT(*)` on the embedded server.

Why: PyMongo's `count_documents(filter)` sends `aggregate` with
`[{$match: filter}, ({$skip}), ({$limit}), {$group: {_id: 1, n: {$sum: 1}}}]`. mongoeco 4.11.0
runs that pipeline by loading and decoding every matching document in Python and grouping
them, while its `count` command compiles the same filter to `SELECT COUNT(*)`. Measured at
5,000 customers: 72–236 ms for the aggregate against 6–13 ms for the count command, on the
same filter and index. Every `totalCount` of a listing (customer search, the 360 view's
interactions and notifications, the timeline) pays for it. The interaction service's
per-customer counts (`{$match: {customerId: {$in: ids}}}, {$group: {_id: "$customerId", …}}`)
took 56–80 ms for one customer with 800–1,200 items against 4–5 ms for a count.

What: the proxy's request dispatch recognises exactly that pipeline shape (a `$match`, then
optional `$skip`/`$limit`, then a `$group` whose `_id` is a constant and whose only field
is `{$sum: 1}`), outside transactions and without collation, and runs it as the `count`
command with the same filter, hint, skip, limit and session; the reply is returned in the
aggregate's shape (one `{_id, n}` document, none when nothing matched, as MongoDB answers).
A `$group` on a top-level field that the `$match` pins to strings (equality or `$in`) becomes
one count per value, after a count of matching documents holding an array in that field
(each would be a group of its own: then the original path answers).
Any other pipeline, and every error, goes the original way. Switch:
`CRM_DEV_MONGOECO_COUNT=0`. Written against mongoeco 4.11.0; applied before the transaction
gate, which wraps the same dispatch and must see the original command;
`tests/infra/test_mongo_count.py`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

DISPATCH = "mongoeco.wire.proxy.AsyncMongoEcoProxyServer._dispatch_wire_request"
# what may accompany the pipeline and carries over to the count command unchanged
_CARRIED = frozenset(
    {"$db", "lsid", "$clusterTime", "readConcern", "$readPreference", "comment", "maxTimeMS"}
)
_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AGGREGATE_ONLY = frozenset({"aggregate", "pipeline", "cursor", "hint", "allowDiskUse"})

type Dispatch = Callable[..., Awaitable[bytes | None]]
type Count = Callable[[dict[str, Any]], Awaitable[tuple[int | None, bytes | None]]]


@dataclass(frozen=True, slots=True)
class CountPlan:
    """`count` commands answering an aggregate count pipeline: one per group key (`keys`),
    after an optional `guard` whose count must be 0 for the plan to be exact."""

    commands: list[dict[str, Any]]
    keys: list[Any]
    name: str
    guard: dict[str, Any] | None = None

    def documents(self, counts: list[int]) -> list[dict[str, Any]]:
        """The `$group` output, as MongoDB returns it: no document for an empty group."""
        return [{"_id": key, self.name: n} for key, n in zip(self.keys, counts, strict=True) if n]


def _group_field(group_id: Any) -> str | None:
    if isinstance(group_id, str) and group_id[:1] == "$" and _PLAIN_FIELD.match(group_id[1:]):
        return group_id[1:]
    return None


def _count_group(last: Any) -> tuple[str, Any] | None:
    """The output name and `_id` of a final `{$group: {_id: ..., <name>: {$sum: 1}}}`."""
    group = last.get("$group") if isinstance(last, dict) and len(last) == 1 else None
    if not isinstance(group, dict) or len(group) != 2 or "_id" not in group:
        return None
    name, accumulator = next((k, v) for k, v in group.items() if k != "_id")
    if accumulator != {"$sum": 1} or name.startswith("$") or "." in name:
        return None
    return name, group["_id"]


def _count_command(collection: str, stages: list[Any]) -> tuple[dict[str, Any], Any] | None:
    """The `count` command (skip, limit) and the query that the stages before the `$group`
    amount to: at most one leading `$match`, then `$skip`, then `$limit`."""
    base: dict[str, Any] = {"count": collection}
    query: dict[str, Any] = {}
    for stage in stages:
        if not isinstance(stage, dict) or len(stage) != 1:
            return None
        (operator, value), *_ = stage.items()
        if operator == "$match" and not query and "skip" not in base:
            if not isinstance(value, dict):
                return None
            query = value
        elif operator == "$skip" and "skip" not in base and "limit" not in base:
            base["skip"] = value
        elif operator == "$limit" and "limit" not in base:
            base["limit"] = value
        else:
            return None
    return base, query


def _string_keys(query: dict[str, Any], field: str) -> list[str] | None:
    """The string values the query pins `field` to (equality or `$in`), without repeats."""
    condition = query.get(field)
    if isinstance(condition, dict):
        values = condition.get("$in") if set(condition) == {"$in"} else None
    else:
        values = [condition]
    if not values or not isinstance(values, list) or not all(type(v) is str for v in values):
        return None
    return list(dict.fromkeys(values))


def count_plan(body: dict[str, Any]) -> CountPlan | None:
    """How to answer `body` with `count` commands, or None when it is anything else."""
    pipeline = body.get("pipeline")
    collection = body.get("aggregate")
    if (
        not isinstance(collection, str)
        or not isinstance(pipeline, list)
        or not pipeline
        or set(body) - _CARRIED - _AGGREGATE_ONLY  # transactions, collation, let, writeConcern…
    ):
        return None
    group = _count_group(pipeline[-1])
    command = _count_command(collection, pipeline[:-1])
    if group is None or command is None:
        return None
    (name, group_id), (base, query) = group, command
    if "hint" in body:
        base["hint"] = body["hint"]
    base.update({k: v for k, v in body.items() if k in _CARRIED})
    field = _group_field(group_id)
    if field is None:
        if isinstance(group_id, dict | list) or (isinstance(group_id, str) and group_id[:1] == "$"):
            return None
        return CountPlan([base | {"query": query}], [group_id], name)
    # grouped by a field the $match pins to string values: one count per value; exact only
    # when no matching document holds an array there (it would form a group of its own)
    keys = _string_keys(query, field)
    if keys is None or "skip" in base or "limit" in base:
        return None
    commands = [base | {"query": {"$and": [query, {field: key}]}} for key in keys]
    guard = base | {"query": {"$and": [query, {field: {"$type": "array"}}]}}
    return CountPlan(commands, keys, name, guard)


def _decoded(header: Any, payload: bytes) -> dict[str, Any] | None:
    """The command, when it may be a count pipeline."""
    from mongoeco.wire.protocol import OP_MSG, decode_op_msg

    # most commands are not count pipelines: skip decoding them here (mongoeco decodes
    # every request itself, and the transaction gate peeks at it too)
    if header.op_code != OP_MSG or b"$group" not in payload:
        return None
    try:
        body = decode_op_msg(header, payload).body
    except Exception:  # malformed: the original path reports it
        return None
    return body if isinstance(body, dict) else None


def _counter(original: Dispatch, server: Any, header: Any, connection: Any) -> Count:
    """Runs a `count` command through the original dispatch: its `n` (None on an error)
    and its reply."""
    from mongoeco.wire.protocol import decode_op_msg, encode_op_msg_request, parse_message_header

    async def count(command: dict[str, Any]) -> tuple[int | None, bytes | None]:
        message = encode_op_msg_request(command, request_id=header.request_id)
        reply = await original(
            server, parse_message_header(message[:16]), message[16:], connection=connection
        )
        if reply is None:
            return None, None
        answer = decode_op_msg(parse_message_header(reply[:16]), reply[16:]).body
        return (int(answer.get("n", 0)) if answer.get("ok") else None), reply

    return count


async def _reply(plan: CountPlan, count: Count, header: Any, body: dict[str, Any]) -> bytes | None:
    """The aggregate's reply from the plan's counts (or the first count's error)."""
    from mongoeco.wire.protocol import encode_op_msg_response

    counts: list[int] = []
    for command in plan.commands:
        n, reply = await count(command)
        if n is None:
            return reply  # the count's error (or no reply) is the aggregate's
        counts.append(n)
    document = {
        "cursor": {
            "firstBatch": plan.documents(counts),
            "id": 0,
            "ns": f"{body.get('$db', '')}.{body['aggregate']}",
        },
        "ok": 1.0,
    }
    return encode_op_msg_response(document, request_id=0, response_to=header.request_id)


def build(originals: Originals) -> Replacements:
    original: Dispatch = originals[DISPATCH]

    @functools.wraps(original)
    async def dispatch(self: Any, header: Any, payload: bytes, *, connection: Any) -> Any:
        body = _decoded(header, payload)
        plan = count_plan(body) if body is not None else None
        if body is None or plan is None:
            return await original(self, header, payload, connection=connection)
        count = _counter(original, self, header, connection)
        if plan.guard is not None:
            arrays, _ = await count(plan.guard)
            if arrays != 0:
                return await original(self, header, payload, connection=connection)
        return await _reply(plan, count, header, body)

    return {DISPATCH: dispatch}


PATCH = Patch(
    name="count_pipeline",
    written_for="4.11.0",
    targets=(DISPATCH,),
    build=build,
    switch=switches.COUNT,
)
