"""GraphQL types of the version history (also the `Customer.history` field's)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_customer.graphql.context import Info
from crm_customer.history.model import Version, VersionAction, api_field, api_value
from crm_customer.history.personal import personal_parts
from crm_kit.personal_types import PersonalJSON

VersionActionEnum = strawberry.enum(VersionAction, name="CustomerVersionAction")
MAX_HISTORY_PAGE = 100


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
    before: PersonalJSON | None
    after: PersonalJSON | None


@strawberry.type
class CustomerVersion:
    version: int
    at: datetime
    actor_id: str
    action: VersionActionEnum  # type: ignore[valid-type]
    changes: list[FieldChange]

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


@strawberry.type
class CustomerVersionConnection:
    versions: list[CustomerVersion]
    total_count: int
    has_more: bool


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
