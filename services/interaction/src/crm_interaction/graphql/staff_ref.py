"""The `StaffMember` entity as this subgraph refers to it: a stub by key (`resolvable:
false`); the customer subgraph, which owns the staff directory, resolves its fields through
the gateway, a whole batch of references in one `_entities` call."""

from __future__ import annotations

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet


@strawberry.federation.type(
    directives=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A member of staff (owned by the customer subgraph, which resolves its fields).",
)
class StaffMember:
    id: strawberry.ID = strawberry.field(description="The staff id: the `sub` of their tokens.")


def staff_ref(staff_id: str | None) -> StaffMember | None:
    """The member with this staff id, resolved by the customer subgraph; null without one."""
    return StaffMember(id=strawberry.ID(staff_id)) if staff_id else None
