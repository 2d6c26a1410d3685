"""GraphQL types of the version history (also the `Customer.history` field's)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from crm_customer.graphql.context import Info
from crm_customer.history.model import Version, VersionAction, api_field, api_value
from crm_customer.history.personal import personal_parts
from crm_kit.graphql import described_enum
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
MAX_HISTORY_PAGE = 100
HistoryFirst = Annotated[
    int,
    strawberry.argument(
        description=f"Versions per page, 1–{MAX_HISTORY_PAGE} (a value outside is brought "
        "within); default 20."
    ),
]
BeforeVersion = Annotated[
    int | None,
    strawberry.argument(
        description="Only versions older than this one: the last `version` of the previous "
        "page (null: from the newest)."
    ),
]


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
    actor_id: str = strawberry.field(description="Who (staff id, a token's sub).")
    action: VersionActionEnum = strawberry.field(description="What kind of change.")  # type: ignore[valid-type]
    changes: list[FieldChange] = strawberry.field(
        description="The fields that changed, with their values before and after."
    )

    @classmethod
    def from_model(cls, v: Version) -> Self:
        return cls(
            version=v.version,
            at=v.at,
            actor_id=v.actor,
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


@strawberry.type(
    description="A page of a customer's versions, newest first, paged with `beforeVersion`."
)
class CustomerVersionConnection:
    versions: list[CustomerVersion] = strawberry.field(
        description="The versions of this page, newest first."
    )
    total_count: int = strawberry.field(description="All versions kept under this id.")
    has_more: bool = strawberry.field(
        description="Older versions follow: ask again with `beforeVersion` = the last "
        "`version` of this page."
    )


async def version_page(
    info: Info, customer_id: str, first: int, before_version: int | None
) -> CustomerVersionConnection:
    first = max(1, min(first, MAX_HISTORY_PAGE))
    items, total = await info.context.deps.history_queries.versions(
        customer_id, first + 1, before_version
    )
    return CustomerVersionConnection(
        versions=[CustomerVersion.from_model(v) for v in items[:first]],
        total_count=total,
        has_more=len(items) > first,
    )
