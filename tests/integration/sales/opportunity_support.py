"""What the opportunity tests share: the queries they send and the deals they set up."""

from __future__ import annotations

from typing import Any

from tests.integration.sales.harness import Sales
from tests.support import auth_headers

SALES_REP = auth_headers(sub="li.lei", roles=("SALES",), team="east")
OTHER_REP = auth_headers(sub="han.mei", roles=("SALES",), team="east")
MANAGER = auth_headers(sub="wang.fang", roles=("MANAGER",), team="east")
WEST_MANAGER = auth_headers(sub="zhou.jie", roles=("MANAGER",), team="west")
ANALYST = auth_headers(sub="zhao.min", roles=("ANALYST",), team="hq")

FIELDS = """
id customerId name ownerId team stageId status version currency probability
amount { amount currency } expectedCloseDate nextStep reopenCount viewerCanUpdate
amountInBase { amount { amount currency } rate rateEffectiveFrom booked }
contacts { name role } closing { reason note }
lineItems { productCode quantity unitPrice { amount } discountPercent total { amount } }
"""
CREATE = f"""
mutation($input: CreateOpportunityInput!) {{
  createOpportunity(input: $input) {{ opportunity {{ {FIELDS} }} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $input: OpportunityFieldsInput!, $v: Int!) {{
  updateOpportunity(id: $id, input: $input, expectedVersion: $v) {{ opportunity {{ {FIELDS} }} }}
}}"""
MOVE = f"""
mutation($input: MoveOpportunityInput!) {{
  moveOpportunity(input: $input) {{ opportunity {{ {FIELDS} }} }}
}}"""
REOPEN = f"""
mutation($input: ReopenOpportunityInput!) {{
  reopenOpportunity(input: $input) {{ opportunity {{ {FIELDS} }} }}
}}"""
READ = f"query($id: ID!) {{ opportunity(id: $id) {{ {FIELDS} }} }}"
LIST = """
query($filter: OpportunityFilterInput, $orderBy: OpportunityOrderInput, $first: Int,
      $after: String) {
  opportunities(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id name } }
  }
}"""


def field_codes(body: dict[str, Any]) -> dict[str, str]:
    assert body.get("errors"), body
    errors = body["errors"][0]["extensions"]["fieldErrors"]
    return {e["field"]: e["code"] for e in errors}


def opportunity(body: dict[str, Any], root: str) -> dict[str, Any]:
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"][root]["opportunity"]
    return found


async def open_deal(
    service: Sales,
    pipeline_id: str,
    customer_id: str,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = await service.gql(
        CREATE,
        {
            "input": {"customerId": customer_id, "pipelineId": pipeline_id, "name": "CRM 升级"}
            | fields
        },
        headers=headers or service.headers,
    )
    return opportunity(body, "createOpportunity")
