"""Global ids at execution (`composition.nodes`): encoding them from key fields, decoding the
ids a `node` / `nodes` lookup names into objects for `_entities`, and nulling the objects the
owning subgraph does not return.

A global id is base64url (no padding) of `<type name>:<key fields as compact JSON>`, e.g.
`Customer:{"id":"c-1"}`. Decoding accepts the standard base64 alphabet and padding too, and
checks the JSON against the type's key, field by field (a scalar where the key has a scalar,
an object where it has a selection), so that nothing but key values reaches a subgraph.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from graphql import IntValueNode, ListValueNode, StringValueNode, ValueNode, VariableNode
from graphql.language import FieldNode, SelectionSetNode

from crm_gateway.composition.nodes import NODE_ID_ARGUMENT, NODE_IDS_ARGUMENT
from crm_gateway.composition.supergraph import NodeType
from crm_gateway.errors import ErrorDict, Path, gateway_error
from crm_gateway.execution.representations import collect_objects, representation
from crm_gateway.execution.response import included
from crm_gateway.execution.state import ExecutionState
from crm_gateway.planning.plan import NodeIdSite, NodeLookup

MAX_NODE_IDS = 100  # ids in one `nodes` call; more are refused, never cut
MAX_GLOBAL_ID_LENGTH = 2048
INVALID_NODE_ID = "INVALID_NODE_ID"
NOT_AN_ID = "Not a valid node id"
NO_SUCH_TYPE = "The node id does not name a type with global ids"
_STANDARD_TO_URLSAFE = str.maketrans("+/", "-_")


class InvalidGlobalId(ValueError):
    pass


def encode_global_id(type_name: str, key: dict[str, Any]) -> str:
    raw = type_name.encode() + b":" + orjson.dumps(key)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_global_id(value: Any, node_types: dict[str, NodeType]) -> dict[str, Any]:
    """The object a global id stands for (`__typename` and the key fields)."""
    if not isinstance(value, str) or not value or len(value) > MAX_GLOBAL_ID_LENGTH:
        raise InvalidGlobalId(NOT_AN_ID)
    text = value.rstrip("=").translate(_STANDARD_TO_URLSAFE)
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        type_name, colon, key_json = raw.decode("utf-8").partition(":")
        key = orjson.loads(key_json) if colon else None
    except (binascii.Error, UnicodeDecodeError, orjson.JSONDecodeError) as exc:
        raise InvalidGlobalId(NOT_AN_ID) from exc
    if key is None:
        raise InvalidGlobalId(NOT_AN_ID)
    node_type = node_types.get(type_name)
    if node_type is None:
        raise InvalidGlobalId(NO_SUCH_TYPE)
    if not _fits(key, node_type.key.selection):
        raise InvalidGlobalId(NOT_AN_ID)
    return {"__typename": type_name, **key}


def _fits(value: Any, selection: SelectionSetNode) -> bool:
    """Is `value` exactly the key fields of `selection`, with a scalar or an object each?"""
    fields = {n.name.value: n for n in selection.selections if isinstance(n, FieldNode)}
    if not isinstance(value, dict) or set(value) != set(fields):
        return False
    for name, node in fields.items():
        item = value[name]
        if node.selection_set is not None:
            if not _fits(item, node.selection_set):
                return False
        elif not isinstance(item, str | int | float | bool):
            return False
    return True


# ---- node / nodes ----------------------------------------------------------------------


def run_lookup(
    lookup: NodeLookup,
    node_types: dict[str, NodeType],
    state: ExecutionState,
    variables: dict[str, Any],
) -> None:
    """Put the objects the ids stand for into the data (null, with an error, for an id that is
    not one), for the entity fetches that follow to resolve."""
    if not any(included(conditions, variables) for conditions in lookup.conditions):
        return
    key = lookup.response_key
    value = _argument(lookup.argument, variables)
    if not lookup.many:
        state.data[key] = _lookup_one(value, node_types, state, [key], NODE_ID_ARGUMENT)
        return
    ids = value if isinstance(value, list) else [] if value is None else [value]
    if len(ids) > MAX_NODE_IDS:
        message = f"At most {MAX_NODE_IDS} node ids at a time"
        state.data[key] = None
        state.add_error(_invalid(message, [key], NODE_IDS_ARGUMENT, "TOO_MANY"))
        return
    state.data[key] = [
        _lookup_one(item, node_types, state, [key, i], f"{NODE_IDS_ARGUMENT}[{i}]")
        for i, item in enumerate(ids)
    ]


def _lookup_one(
    value: Any, node_types: dict[str, NodeType], state: ExecutionState, path: Path, field: str
) -> dict[str, Any] | None:
    try:
        return decode_global_id(value, node_types)
    except InvalidGlobalId as exc:
        state.add_error(_invalid(str(exc), path, field, INVALID_NODE_ID))
        return None


def _invalid(message: str, path: Path, field: str, code: str) -> ErrorDict:
    field_error = {"field": field, "code": code, "message": message}
    return gateway_error(message, "BAD_USER_INPUT", path, fieldErrors=[field_error])


def _argument(node: ValueNode | None, variables: dict[str, Any]) -> Any:
    """The argument's value (validation has checked its type: ids and lists of ids)."""
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, ListValueNode):
        return [_argument(item, variables) for item in node.values]
    if isinstance(node, StringValueNode | IntValueNode):
        return node.value
    return None


def drop_objects(data: dict[str, Any], paths: list[Path]) -> None:
    """Null the objects at `paths` (looked up objects their subgraph did not return)."""
    for path in paths:
        container: Any = data
        for step in path[:-1]:
            container = container[step]
        container[path[-1]] = None


# ---- nodeId ----------------------------------------------------------------------------


def write_node_ids(sites: list[NodeIdSite], data: dict[str, Any]) -> None:
    """Each selected `nodeId`, from the key fields the plan fetched (left out where a key
    field is missing or null: the field is then null with an error)."""
    for site in sites:
        for obj, _ in collect_objects(data, site.path):
            if obj.get("__typename") != site.type_name:
                continue
            key = representation(site.type_name, site.template, obj)
            if key is None or _has_null(key):
                continue
            del key["__typename"]
            obj[site.response_key] = encode_global_id(site.type_name, key)


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_null(item) for item in value.values())
    return value is None
