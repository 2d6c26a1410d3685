"""`viewer`: the caller as a client needs them to decide what to show and offer. The `Viewer`
entity is keyed by the caller's id; the other subgraphs add their own figures to it (open
tasks, unread notifications).

Permissions come from `crm_kit.policy.permissions`, the table every check reads.
"""

from __future__ import annotations

from typing import Self

import strawberry

from crm_customer import access
from crm_customer.graphql.context import Info
from crm_customer.i18n import language_var
from crm_customer.staff.graphql import StaffMember
from crm_customer.viewer import model
from crm_kit import policy
from crm_kit.auth import Principal, Role
from crm_kit.errors import Forbidden, NotFound
from crm_kit.graphql import described_enum
from crm_kit.personal import PersonalKind
from crm_kit.policy import Action, Resource, Scope

# Enums the kit owns, wrapped (not copied) so the API cannot drift from the policy; Scope and
# PersonalKind get names that say what they are in a schema of many enums.
strawberry.enum(Scope, name="PermissionScope")
strawberry.enum(PersonalKind, name="PersonalDataKind")
described_enum(
    Role,
    "A role a caller holds (the token's `roles` claim); `permissions` says what it grants.",
    {
        Role.ADMIN: "Everything, everywhere; nothing masked.",
        Role.MANAGER: "Their team's customers, tickets, tasks and staff; merges, exports.",
        Role.SALES: "The customers they own, and their interactions, tickets and tasks.",
        Role.SERVICE: "Every customer read-only; the tickets and tasks of their team.",
        Role.ANALYST: "Aggregates and masked lists; no personal details.",
    },
)
described_enum(
    Resource,
    "What the access policy rules on.",
    {
        Resource.CUSTOMER: "Customer records.",
        Resource.INTERACTION: "Communication records, purchases and the timeline.",
        Resource.TICKET: "Service tickets.",
        Resource.TASK: "Follow-up tasks.",
        Resource.NOTIFICATION: "Notifications.",
        Resource.STAFF: "The staff directory.",
        Resource.STATISTICS: "Aggregates: counts, analytics, insight figures.",
        Resource.OPPORTUNITY: "Sales opportunities, with their pipelines and product catalogue.",
    },
)
described_enum(
    Action,
    "What a caller does with a resource.",
    {
        Action.READ: "Read one record.",
        Action.LIST: "Lists, searches and their counts.",
        Action.CREATE: "Create a record.",
        Action.UPDATE: "Change a record.",
        Action.ASSIGN: "Give a record a new owner or assignee.",
        Action.MERGE: "Merge duplicate records.",
        Action.ARCHIVE: "Archive a record or bring it back.",
        Action.ERASE: "Erase personal data on request.",
        Action.BULK: "Change many records in one request.",
        Action.EXPORT: "Export records to a file.",
        Action.REVEAL: "See a masked field unmasked (recorded in the audit log).",
    },
)
described_enum(
    Scope,
    "On which records an action is allowed.",
    {
        Scope.NONE: "On no record.",
        Scope.OWN: "On records the caller owns (or is assigned).",
        Scope.TEAM: "On records of the caller's team, and their own.",
        Scope.ALL: "On every record.",
    },
)
described_enum(
    PersonalKind,
    "A kind of personal data, which a role may see masked.",
    {
        PersonalKind.NAME: "Names of individuals and contact persons.",
        PersonalKind.PHONE: "Phone numbers.",
        PersonalKind.EMAIL: "E-mail addresses.",
        PersonalKind.ID_CARD: "ID-card numbers.",
        PersonalKind.ADDRESS: "Street addresses and postal codes.",
        PersonalKind.WECHAT: "WeChat ids.",
        PersonalKind.BIRTHDAY: "Birthdays.",
    },
)


@strawberry.type(description="The scope the caller has for one action on one resource.")
class Permission:
    resource: Resource = strawberry.field(description="What is acted on.")
    action: Action = strawberry.field(description="What is done.")
    scope: Scope = strawberry.field(
        description="On which records: NONE, the caller's OWN, their TEAM's, or ALL."
    )


def _permissions(principal: Principal) -> list[Permission]:
    return [
        Permission(resource=p.resource, action=p.action, scope=p.scope)
        for p in policy.permissions(principal, access.options())
    ]


@strawberry.federation.type(
    keys=["id"],
    description="The caller: who they are, how to address them and what they may do. Other "
    "subgraphs add the caller's own figures (open tasks, unread notifications).",
)
class Viewer:
    id: strawberry.ID = strawberry.field(description="The caller's id (the token's subject).")
    roles: list[Role] = strawberry.field(description="The caller's roles, from the token.")
    team: str | None = strawberry.field(description="The caller's team, from the token.")
    language: str = strawberry.field(
        description="The language messages to the caller are in: zh-CN (the default) or en, "
        "from the request's Accept-Language."
    )
    time_zone: str = strawberry.field(
        description="IANA time zone to show the caller times in: the token's `zoneinfo` claim "
        "when it names a known zone, else the service's default (Asia/Shanghai unless "
        "CUSTOMER_DEFAULT_TIME_ZONE says otherwise)."
    )
    permissions: list[Permission] = strawberry.field(
        description="For every resource and action, the scope the access policy gives the "
        "caller (the same rules every subgraph enforces)."
    )
    masked_personal_data: list[PersonalKind] = strawberry.field(
        description="The kinds of personal data the caller sees masked."
    )

    @strawberry.field(
        description="The caller's staff record; null if the directory has none. Their own "
        "record, whatever their access to the directory."
    )
    async def staff(self, info: Info) -> StaffMember | None:
        try:
            found = await info.context.deps.staff.get(str(self.id))
        except NotFound:
            return None
        return StaffMember.from_model(found)

    @classmethod
    def of(cls, info: Info) -> Self:
        principal = info.context.principal
        return cls(
            id=strawberry.ID(principal.sub),
            roles=sorted(principal.roles),
            team=principal.team or None,
            language=language_var.get(),
            time_zone=model.time_zone(
                principal.time_zone, info.context.deps.viewer.default_time_zone
            ),
            permissions=_permissions(principal),
            masked_personal_data=[
                PersonalKind(name)
                for name, seen in policy.field_visibilities(principal).items()
                if seen is policy.Visibility.MASKED
            ],
        )

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self:
        """Only the caller themself: another person's permissions are not theirs to read."""
        if str(id) != info.context.principal.sub:
            raise Forbidden("Not allowed: the viewer is the caller only", id=str(id))
        return cls.of(info)


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="The caller (needs a verified token).")
    def viewer(self, info: Info) -> Viewer:
        return Viewer.of(info)
