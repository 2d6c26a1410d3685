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
`CRM_DEV_MONGOECO_COUNT=0`. Pinned to mongoeco 4.11.0 like the other patches;
`tests/infra/test_mongo_count.py`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from crm_dev.mongo.patches.id_uniqueness import enabled

SWITCH = "CRM_DEV_MONGOECO_COUNT"
_MARKER = "_crm_dev_count_pipeline"
# what may accompany the pipeline and carries over to the count command unchanged
_CARRIED = frozenset(
    {"$db", "lsid", "$clusterTime", "readConcern", "$readPreference", "comment", "maxTimeMS"}
)
_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AGGREGATE_ONLY = frozenset({"aggregate", "pipeline", "cursor", "hint", "allowDiskUse"})


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


def count_plan(body: dict[str, Any]) -> CountPlan | None:
    """How to answer `body` with `count` commands, or None when it is anything else."""
    pipeline = body.get("pipeline")
    collection = body.get("aggregate")
    if not isinstance(collection, str) or not isinstance(pipeline, list) or not pipeline:
        return None
    if set(body) - _CARRIED - _AGGREGATE_ONLY:
        return None  # transactions, collation, let, writeConcern…: leave them to mongoeco
    *stages, last = pipeline
    group = last.get("$group") if isinstance(last, dict) and len(last) == 1 else None
    if not isinstance(group, dict) or len(group) != 2 or "_id" not in group:
        return None
    name, accumulator = next((k, v) for k, v in group.items() if k != "_id")
    if accumulator != {"$sum": 1} or name.startswith("$") or "." in name:
        return None
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
    if "hint" in body:
        base["hint"] = body["hint"]
    base.update({k: v for k, v in body.items() if k in _CARRIED})
    group_id = group["_id"]
    field = _group_field(group_id)
    if field is None:
        if isinstance(group_id, dict | list) or (isinstance(group_id, str) and group_id[:1] == "$"):
            return None
        return CountPlan([base | {"query": query}], [group_id], name)
    # grouped by a field the $match pins to string values: one count per value; exact only
    # when no matching document holds an array there (it would form a group of its own)
    condition = query.get(field)
    if isinstance(condition, dict):
        values = condition.get("$in") if set(condition) == {"$in"} else None
    else:
        values = [condition]
    if not values or "skip" in base or "limit" in base:
        return None
    if not isinstance(values, list) or not all(type(v) is str for v in values):
        return None
    keys = list(dict.fromkeys(values))
    commands = [base | {"query": {"$and": [query, {field: key}]}} for key in keys]
    guard = base | {"query": {"$and": [query, {field: {"$type": "array"}}]}}
    return CountPlan(commands, keys, name, guard)


def apply() -> bool:
    """Install the patch on mongoeco's wire proxy; False if not applied."""
    from mongoeco.wire.protocol import (
        OP_MSG,
        decode_op_msg,
        encode_op_msg_request,
        encode_op_msg_response,
        parse_message_header,
    )
    from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

    if not enabled(SWITCH):
        return False
    original = AsyncMongoEcoProxyServer._dispatch_wire_request
    if getattr(original, _MARKER, False):
        return True

    @functools.wraps(original)
    async def dispatch(self: Any, header: Any, payload: bytes, *, connection: Any) -> Any:
        # most commands are not count pipelines: skip decoding them here (mongoeco decodes
        # every request itself, and the transaction gate peeks at it too)
        if header.op_code != OP_MSG or b"$group" not in payload:
            return await original(self, header, payload, connection=connection)
        try:
            body = decode_op_msg(header, payload).body
        except Exception:  # malformed: the original path reports it
            return await original(self, header, payload, connection=connection)
        plan = count_plan(body) if isinstance(body, dict) else None
        if plan is None:
            return await original(self, header, payload, connection=connection)

        async def count(command: dict[str, Any]) -> tuple[int | None, bytes | None]:
            message = encode_op_msg_request(command, request_id=header.request_id)
            reply = await original(
                self, parse_message_header(message[:16]), message[16:], connection=connection
            )
            if reply is None:
                return None, None
            answer = decode_op_msg(parse_message_header(reply[:16]), reply[16:]).body
            return (int(answer.get("n", 0)) if answer.get("ok") else None), reply

        if plan.guard is not None:
            arrays, _ = await count(plan.guard)
            if arrays != 0:
                return await original(self, header, payload, connection=connection)
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

    setattr(dispatch, _MARKER, True)
    AsyncMongoEcoProxyServer._dispatch_wire_request = dispatch  # type: ignore[method-assign]
    return True
