"""Lead → opportunity in one call (`convertLeadToOpportunity`): a deal for a customer the
projection has in stage LEAD or PROSPECT, opened in its pipeline's first stage through the
create use case — its stage gate, access checks and idempotency included, the key scoped to
this operation. Any other stage is BAD_USER_INPUT (`customerId` NOT_A_LEAD). The customer
service then moves a LEAD customer to PROSPECT when it receives the `opportunity.created.v1`
the create emits, so the customer's stage follows without a second call. Pure but for
`convert_lead`, which hands the request to the create use case."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput
from crm_sales.customers.model import CustomerView
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.opportunities.requests import ChangeRequest, CreateRequest
from crm_sales.opportunities.service import OpportunityService

OPERATION = "convertLeadToOpportunity"
# The customer lifecycle stages (the customer service's) a lead conversion starts from.
CONVERTIBLE_STAGES = frozenset({"LEAD", "PROSPECT"})


@dataclass(frozen=True, slots=True)
class LeadConversion:
    """What a conversion gives: the customer, the deal's name and pipeline, and optionally its
    amount (a decimal string), currency and expected close date (`YYYY-MM-DD`)."""

    customer_id: str
    name: str
    pipeline_id: str
    amount: str | None = None
    currency: str | None = None
    expected_close_date: str | None = None

    def create_request(self) -> CreateRequest:
        """The create it is: the pipeline's first stage, owner and team by the create's
        defaults."""
        fields = ChangeRequest(
            amount=self.amount,
            currency=self.currency,
            expected_close_date=self.expected_close_date,
        )
        return CreateRequest(
            customer_id=self.customer_id,
            name=self.name,
            pipeline_id=self.pipeline_id,
            fields=fields,
        )


def require_lead(customer: CustomerView) -> None:
    """BAD_USER_INPUT (`customerId` NOT_A_LEAD) unless the customer is a LEAD or PROSPECT."""
    if customer.stage not in CONVERTIBLE_STAGES:
        stage = customer.stage or "unknown"
        raise BadUserInput.single(
            "customerId",
            "NOT_A_LEAD",
            f"the customer is in stage {stage}; only a LEAD or PROSPECT is converted",
        )


async def convert_lead(
    opportunities: OpportunityService,
    principal: Principal,
    conversion: LeadConversion,
    idempotency_key: str,
) -> OpportunityRecord:
    """The new opportunity (or, for a retry with the same key, the first one)."""
    return await opportunities.create(
        principal,
        conversion.create_request(),
        idempotency_key,
        operation=OPERATION,
        admit=require_lead,
    )
