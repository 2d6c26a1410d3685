"""The fields sales adds to other subgraphs' entities, as the gateway asks for them in one
`_entities` call: `Customer.opportunities`, `Customer.openPipeline` and
`StaffMember.openOpportunities` — their database commands the same for 1 as for 50
opportunities (and for 1 as for several entities), and only what the caller may see."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.integration.sales.harness import Sales
from tests.integration.sales.opportunity_support import OTHER_REP, SALES_REP, open_deal
from tests.support import auth_headers, error_codes

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

NODE = """
id name probability stalled viewerCanUpdate customer { id } owner { id } pipeline { id }
stage { name } amountInBase { amount { amount } rate } allowedMoves { stageId missingFields }
stageHistory { totalCount edges { node { kind toStageId } } } fieldHistory { totalCount }
timeInStages { stageId } lineItems { productCode }
"""
CUSTOMERS = f"""
query($reps: [_Any!]!) {{
  _entities(representations: $reps) {{
    ... on Customer {{
      id
      opportunities(first: 50) {{ totalCount edges {{ node {{ {NODE} }} }} }}
      openPipeline {{
        count amount {{ amount currency }} weightedAmount {{ amount }} unpricedCount
      }}
    }}
  }}
}}"""
STAFF = f"""
query($reps: [_Any!]!) {{
  _entities(representations: $reps) {{
    ... on StaffMember {{
      id openOpportunities(first: 50) {{ totalCount edges {{ node {{ {NODE} }} }} }}
    }}
  }}
}}"""


# What the service's own loops read meanwhile (the outbox relay, its lease, the audit chain,
# the import worker's look for open jobs).
BACKGROUND = frozenset(
    {"", "outbox", "leases", "inbox", "audit_log", "audit_meta", "opportunity_import_jobs"}
)


MOVE_ID = """
mutation($i: MoveOpportunityInput!) { moveOpportunity(input: $i) { opportunity { id } } }"""


def reps(typename: str, ids: list[str]) -> dict[str, Any]:
    return {"reps": [{"__typename": typename, "id": i} for i in ids]}


async def commands_of(
    service: Sales, query: str, variables: dict[str, Any]
) -> tuple[Counter[tuple[str, str]], Any]:
    service.commands.clear()
    data = await service.ok(query, variables)
    counted = Counter(c for c in service.commands.commands if c[1] not in BACKGROUND)
    return counted, data["_entities"]


async def test_customer_fields_cost_the_same_for_one_or_fifty_deals(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    one, many = await service.new_customer(), await service.new_customer()
    await open_deal(service, pipeline, one, amount="100.00")
    for n in range(50):
        await open_deal(service, pipeline, many, name=f"deal {n}", amount="10.00")
    few, found_one = await commands_of(service, CUSTOMERS, reps("Customer", [one]))
    lots, found_many = await commands_of(service, CUSTOMERS, reps("Customer", [many]))
    both, found_both = await commands_of(service, CUSTOMERS, reps("Customer", [one, many]))
    assert few == lots == both, (few, lots, both)
    # Every pipeline read of the request goes through its one loader: the open pipeline's
    # probabilities and the nodes' stages share one find (two before).
    assert few[("find", "pipelines")] == 1, few
    assert sum(few.values()) == 11, few
    assert len(found_many[0]["opportunities"]["edges"]) == 50
    assert found_many[0]["openPipeline"] == {
        "count": 50,
        "amount": {"amount": "500.00", "currency": "CNY"},
        "weightedAmount": {"amount": "50.00"},
        "unpricedCount": 0,
    }
    node = found_one[0]["opportunities"]["edges"][0]["node"]
    assert node["stageHistory"]["edges"] == [{"node": {"kind": "CREATED", "toStageId": "lead"}}]
    assert node["customer"] == {"id": one} and node["stage"] == {"name": "线索"}
    assert [c["id"] for c in found_both] == [one, many]


async def test_customer_fields_hold_only_what_the_caller_may_see(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer(owner_id="li.lei")
    await open_deal(service, pipeline, customer, headers=SALES_REP, name="li", amount="1.00")
    await open_deal(service, pipeline, customer, name="alice", amount="2.00", ownerId="alice")
    query = (
        "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { "
        "opportunities { totalCount edges { node { name } } } openPipeline { count } } } }"
    )
    mine = await service.ok(query, reps("Customer", [customer]), headers=SALES_REP)
    seen = mine["_entities"][0]
    assert [e["node"]["name"] for e in seen["opportunities"]["edges"]] == ["li"]
    assert (seen["opportunities"]["totalCount"], seen["openPipeline"]["count"]) == (1, 1)
    other = await service.ok(query, reps("Customer", [customer]), headers=OTHER_REP)
    assert other["_entities"][0]["openPipeline"]["count"] == 0
    service_role = auth_headers(sub="sam", roles=("SERVICE",), team="east")
    refused = await service.gql(query, reps("Customer", [customer]), headers=service_role)
    assert refused["data"]["_entities"][0] == {"opportunities": None, "openPipeline": None}
    assert error_codes(refused) == {"FORBIDDEN"}


async def test_a_staff_members_open_deals_are_batched(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer()
    owners = ["owner.a", "owner.b", "owner.c"]
    for owner in owners:
        for n in range(3):
            await open_deal(service, pipeline, customer, ownerId=owner, name=f"{owner} {n}")
    lost = await open_deal(service, pipeline, customer, ownerId="owner.a", name="closed")
    await service.ok(
        MOVE_ID,
        {"i": {"id": lost["id"], "stageId": "lost", "reason": "PRICE", "note": "n"}},
    )
    single, found = await commands_of(service, STAFF, reps("StaffMember", owners[:1]))
    several, found_all = await commands_of(service, STAFF, reps("StaffMember", owners))
    assert single == several
    assert found[0]["openOpportunities"]["totalCount"] == 3  # the lost one is not open
    assert [m["openOpportunities"]["totalCount"] for m in found_all] == [3, 3, 3]


async def test_an_opportunity_is_an_entity_for_whoever_may_read_it(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer(owner_id="li.lei")
    deal = await open_deal(service, pipeline, customer, headers=SALES_REP, name="按键查找")
    query = (
        "query($reps: [_Any!]!) { _entities(representations: $reps) { "
        "... on Opportunity { id name } } }"
    )
    found = await service.ok(query, reps("Opportunity", [deal["id"]]), headers=SALES_REP)
    assert found["_entities"] == [{"id": deal["id"], "name": "按键查找"}]
    refused = await service.gql(query, reps("Opportunity", [deal["id"], "nope"]), headers=OTHER_REP)
    assert refused["data"]["_entities"] == [None, None]
    assert error_codes(refused) == {"FORBIDDEN", "NOT_FOUND"}
