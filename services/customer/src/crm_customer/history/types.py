"""GraphQL types of the version history (also the `Customer.history` field's)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_customer import access
from crm_customer.graphql.context import Info
from crm_customer.history.model import Version, VersionAction, api_field, api_value
from crm_customer.history.personal import personal_parts
from crm_customer.staff.graphql import StaffMember, staff_member
from crm_kit.graphql import PageInfo, described_enum, page_info
from crm_kit.paging import DEFAULT_PAGE_SIZE, decode_position, encode_position, page_size
from crm_kit.personal_types import PersonalJSON

VersionActionEnum = described_enum(
    VersionAction,
    name="CustomerVersionAction",
    description="What kind of change made a version.",
    values={
        "CREATED": "Created (createCustomer, an import).",
        "UPDATED": "Fields changed (updateCustomer, a bulk change, an import, a tag rename).",
        "ASSIGNED": "Owner or team changed (assignCustomer, a bulk change).",
        "ARCHIVED": "Archived.",
        "UNARCHIVED": "Brought back from the archive.",
        "RESTORED": "A past version's fields restored (restoreCustomerVersion).",
        "MERGED": "Other records merged into this survivor (`mergedFrom` names them).",
        "MERGED_INTO": "Merged into a survivor: this record is now a tombstone.",
        "UNMERGED": "A merge undone: the record as it was before the merge.",
        "ERASED": "Personal data erased (`erasureReason` records why); the earlier versions "
        "keep only who and when.",
    },
)
HISTORY_ORDER = "history"  # the cursor's list: versions, newest first


@strawberry.type(
    description="One field's value before and after a change; personal parts are masked "
    "for roles that may not see them (ID numbers are recorded masked)."
)
class FieldChange:
    field: str = strawberry.field(
        description="The field as the Customer type names it (displayName, companySize, "
        "idCardNumber, ownerId, …; customFields.<key> for one custom field; mergedFrom on a "
        "merge's survivor: the ids merged into it)."
    )
    before: PersonalJSON | None = strawberry.field(
        description="The value before, as JSON (an address or contact keyed by the API's field "
        "names); null when it was unset."
    )
    after: PersonalJSON | None = strawberry.field(
        description="The value after, as JSON; null when it was cleared."
    )


@strawberry.type(description="One version of a customer: who changed what, and when.")
class CustomerVersion:
    version: int = strawberry.field(description="The version number this change produced.")
    at: datetime = strawberry.field(description="When (ISO 8601 date-time, UTC).")
    actor_id: strawberry.ID = strawberry.field(
        description="Who (staff id, a token's sub; see `actor`)."
    )
    action: VersionActionEnum = strawberry.field(description="What kind of change.")  # type: ignore[valid-type]
    changes: list[FieldChange] = strawberry.field(
        description="The fields that changed, with their values before and after."
    )

    @classmethod
    def from_model(cls, v: Version) -> Self:
        return cls(
            version=v.version,
            at=v.at,
            actor_id=strawberry.ID(v.actor),
            action=v.action,
            changes=[
                FieldChange(
                    field=api_field(c.field),
                    before=api_value(c.field, personal_parts(c.field, c.before)),
                    after=api_value(c.field, personal_parts(c.field, c.after)),
                )
                for c in v.changes
            ],
        )

    @strawberry.field(
        description="The staff member who made the change (`actorId` resolved; loaded in "
        "batches); null when the id is not in the staff directory."
    )
    async def actor(self, info: Info) -> StaffMember | None:
        return await staff_member(info, self.actor_id)


@strawberry.type(description="One version of a page of a customer's history.")
class CustomerVersionEdge:
    cursor: str = strawberry.field(
        description="Opaque cursor of this version: pass it as `after` for the older versions."
    )
    node: CustomerVersion = strawberry.field(description="The version.")


@strawberry.type(
    description="A page of a customer's versions, newest first, paged with `first` / `after`."
)
class CustomerVersionConnection:
    edges: list[CustomerVersionEdge] = strawberry.field(
        description="The versions of this page, newest first."
    )
    page_info: PageInfo = strawberry.field(
        description="Where this page ends and whether older versions follow."
    )
    total_count: int = strawberry.field(
        description="All versions kept under this id, over all pages."
    )


async def version_page(
    info: Info, customer_id: str, first: int | None, after: str | None
) -> CustomerVersionConnection:
    size = page_size(first, DEFAULT_PAGE_SIZE, access.options())
    before = None
    if after is not None:
        (before,) = decode_position(after, (int,), HISTORY_ORDER)
    items, total = await info.context.deps.history_queries.versions(customer_id, size + 1, before)
    edges = [
        CustomerVersionEdge(
            cursor=encode_position([v.version], HISTORY_ORDER), node=CustomerVersion.from_model(v)
        )
        for v in items[:size]
    ]
    return CustomerVersionConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], len(items) > size, after is not None),
        total_count=total,
    )
