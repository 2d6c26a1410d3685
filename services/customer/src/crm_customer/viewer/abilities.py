"""What the caller may do with a customer already in the response (`Customer.viewerCan…`).

Each field asks `access.can_reach` — the rule `access.check` applies before the mutation runs —
on the record's owner and team, so a button a client shows is one the mutation accepts. It
answers for the caller's access only: a write can still fail for the record's state (a stale
version, a merged-away record).
"""

from __future__ import annotations

from typing import Any, Protocol

import strawberry

from crm_customer import access
from crm_customer.graphql.context import Info
from crm_kit.policy import Action

# What each field says, naming the mutations its action guards.
DESCRIPTIONS: dict[Action, str] = {
    Action.UPDATE: "Whether the caller may change this customer (updateCustomer, "
    "restoreCustomerVersion).",
    Action.ASSIGN: "Whether the caller may give this customer a new owner (assignCustomer; the "
    "new owner and team must be within their scope as well).",
    Action.MERGE: "Whether the caller may merge this customer (mergeCustomers needs it on every "
    "record merged).",
    Action.ARCHIVE: "Whether the caller may archive this customer or bring it back "
    "(archiveCustomer, unarchiveCustomer).",
    Action.ERASE: "Whether the caller may erase this customer's personal data (eraseCustomer).",
    Action.REVEAL: "Whether the caller may see this customer's masked fields unmasked "
    "(revealCustomerField).",
}


class OwnedRecord(Protocol):
    @property
    def owner_id(self) -> strawberry.ID | None: ...

    @property
    def team(self) -> str | None: ...


def viewer_can(action: Action) -> Any:
    """A `Boolean!` field of `Customer`: may the caller do `action` on this customer?"""

    def resolve(root: OwnedRecord, info: Info) -> bool:
        owner = str(root.owner_id) if root.owner_id else None
        return access.can_reach(info.context.principal, action, owner, root.team)

    return strawberry.field(resolver=resolve, description=DESCRIPTIONS[action])
