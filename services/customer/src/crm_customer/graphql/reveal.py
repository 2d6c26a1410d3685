"""Unmasking: an explicit, audited action (ADMIN, and the MANAGER of the customer's team)."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from crm_customer import access as policy
from crm_customer.graphql.context import Info
from crm_kit.audit import record_now


@strawberry.enum(description="A masked customer field that may be revealed.")
class RevealableField(StrEnum):
    ID_CARD_NUMBER = "idCardNumber"
    PHONES = "phones"
    EMAILS = "emails"


@strawberry.type(description="A field's unmasked value(s); the reveal is in the audit log.")
class RevealedField:
    customer_id: strawberry.ID
    field: RevealableField
    values: list[str]


@strawberry.type
class RevealMutation:
    @strawberry.mutation(
        description="Show one masked field of a customer unmasked; recorded in the audit log "
        "(action customer.unmask). FORBIDDEN unless ADMIN or the MANAGER of its team."
    )
    async def reveal_customer_field(
        self, info: Info, id: strawberry.ID, field: RevealableField
    ) -> RevealedField:
        principal = info.context.principal
        customer = await info.context.deps.customers.get(str(id))
        values = policy.reveal_value(principal, customer, str(field))  # FORBIDDEN: audited
        await record_now("customer.unmask", "Customer", customer.id, details={"field": str(field)})
        return RevealedField(customer_id=strawberry.ID(customer.id), field=field, values=values)
