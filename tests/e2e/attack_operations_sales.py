"""The sales cases of the attack matrix: one opportunity per target group (and a spare of the
same customer, for merges), read, update, assign, bulk assign and merge each judged by the
deal's own owner and team, with the expected allow/deny per role."""

from __future__ import annotations

from typing import Any

from tests.e2e.attack_operations import assert_forbidden_at
from tests.e2e.attack_support import ROLES, TARGETS, System

Y, N = True, False
Row = tuple[bool, bool, bool]  # own, team, other (seen from SALES_OWNER)

# Reading a deal: SALES their own (team sharing is off here), MANAGER their team's, ADMIN and
# ANALYST every one, SERVICE none.
DEALS: dict[str, Row] = {
    "ADMIN": (Y, Y, Y),
    "MANAGER_SAME_TEAM": (Y, Y, N),
    "MANAGER_OTHER_TEAM": (N, N, Y),
    "SALES_OWNER": (Y, N, N),
    "SALES_SAME_TEAM": (N, Y, N),
    "SALES_OTHER_TEAM": (N, N, Y),
    "SERVICE": (N, N, N),
    "ANALYST": (Y, Y, Y),
}
DEAL_CHANGES = {**DEALS, "ANALYST": (N, N, N)}  # ANALYST reads only
# Assigning (one or in bulk) and merging: ADMIN every deal, MANAGER their team's; SALES none
# (not even their own), ANALYST and SERVICE none.
DEAL_MANAGES: dict[str, Row] = {
    **{role: (N, N, N) for role in ROLES},
    "ADMIN": (Y, Y, Y),
    "MANAGER_SAME_TEAM": (Y, Y, N),
    "MANAGER_OTHER_TEAM": (N, N, Y),
}
SALES_EXPECTED: dict[str, dict[str, Row]] = {
    "opportunity": DEALS,
    "update_opportunity": DEAL_CHANGES,
    "assign_opportunity": DEAL_MANAGES,
    "bulk_assign_opportunities": DEAL_MANAGES,
    "bulk_assign_by_filter": DEAL_MANAGES,
    "merge_opportunities": DEAL_MANAGES,
}
# Whom a deal of each target group is handed to: someone else of its own team, never the
# MANAGER assigning it (a MANAGER may hand a deal to themselves, whatever its team).
NEW_OWNER = {"own": "sal-mate", "team": "sal-own", "other": "sal-west-2"}

OPPORTUNITY = "query($id: ID!) { opportunity(id: $id) { id ownerId team status version } }"
UPDATE_OPPORTUNITY = """mutation($id: ID!, $v: Int!) { updateOpportunity(id: $id,
  expectedVersion: $v, input: {nextStep: "matrix"}) { opportunity { id version } } }"""
ASSIGN = """mutation($id: ID!, $owner: ID!, $team: String) {
  assignOpportunity(id: $id, ownerId: $owner, team: $team) {
  opportunity { id ownerId team version } } }"""
BULK_ASSIGN = """mutation($ids: [ID!], $f: OpportunityFilterInput, $owner: ID!) {
  bulkAssignOpportunities(ids: $ids, filter: $f, ownerId: $owner) {
  succeeded failed truncated items { id ok version code message } } }"""
MERGE = """mutation($s: ID!, $m: ID!) {
  mergeOpportunities(input: {survivorId: $s, mergedId: $m}) {
  survivor { id status } merged { id status mergedIntoId } } }"""
PIPELINE = """mutation($i: PipelineInput!) { createPipeline(input: $i) { pipeline { id } } }"""
CREATE_OPPORTUNITY = """mutation($i: CreateOpportunityInput!) {
  createOpportunity(input: $i) { opportunity { id } } }"""
STAGES = [
    {"id": "open", "nameZh": "跟进", "nameEn": "Open", "kind": "OPEN", "probability": 20},
    {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
    {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0},
]
_made: dict[str, str] = {}  # "pipeline", each target, and "<target>-spare": ids


async def new_pipeline(system: System) -> str:
    stages = {"nameZh": "矩阵流程", "nameEn": "Matrix", "stages": STAGES}
    body = await system.gql(PIPELINE, {"i": stages})
    assert "errors" not in body, body
    return str(body["data"]["createPipeline"]["pipeline"]["id"])


async def open_deal(system: System, target: str, label: str, pipeline: str | None = None) -> str:
    """A new open deal of the target group's customer, owned by its owner (made by ADMIN)."""
    customer = system.customers[target]
    if pipeline is None:
        pipeline = (await deals(system))["pipeline"]
    deal = {"customerId": customer.id, "pipelineId": pipeline, "name": f"Matrix {label}"}
    deal |= {"ownerId": customer.owner, "team": customer.team}
    created = await system.gql(CREATE_OPPORTUNITY, {"i": deal})
    assert "errors" not in created, created
    return str(created["data"]["createOpportunity"]["opportunity"]["id"])


async def deals(system: System) -> dict[str, str]:
    """The module's pipeline, one deal per target group and a spare of the same customer (made
    once per module; refused cases run against these and must leave them as they are)."""
    if not _made:
        made = {"pipeline": await new_pipeline(system)}
        for target in TARGETS:
            made[target] = await open_deal(system, target, target, made["pipeline"])
            made[f"{target}-spare"] = await open_deal(system, target, "spare", made["pipeline"])
        _made.update(made)
    return _made


async def state(system: System, deal: str) -> dict[str, Any]:
    """A deal as ADMIN reads it: id, ownerId, team, status, version."""
    body = await system.gql(OPPORTUNITY, {"id": deal})
    assert "errors" not in body, body
    return dict(body["data"]["opportunity"])


async def check_opportunity(system: System, role: str, target: str, allowed: bool) -> None:
    deal = (await deals(system))[target]
    body = await system.gql(OPPORTUNITY, {"id": deal}, role)
    if allowed:
        assert "errors" not in body, body
        assert body["data"]["opportunity"]["ownerId"] == system.customers[target].owner
    else:
        assert body["data"]["opportunity"] is None
        assert_forbidden_at(body, "opportunity")


async def check_update_opportunity(system: System, role: str, target: str, allowed: bool) -> None:
    deal = (await deals(system))[target]
    version = (await state(system, deal))["version"]
    body = await system.gql(UPDATE_OPPORTUNITY, {"id": deal, "v": version}, role)
    if allowed:
        assert "errors" not in body, body
        assert body["data"]["updateOpportunity"]["opportunity"]["version"] == version + 1
    else:
        assert_forbidden_at(body, "updateOpportunity")
        assert (await state(system, deal))["version"] == version  # nothing written


async def check_assign_opportunity(system: System, role: str, target: str, allowed: bool) -> None:
    owner, team = NEW_OWNER[target], system.customers[target].team
    if allowed:  # a fresh deal: the matrix's own deals keep their owners
        deal = await open_deal(system, target, "assign")
        if role != "ADMIN":  # a MANAGER keeps a deal in their team: moving it out is refused
            away = {"id": deal, "owner": owner, "team": "elsewhere"}
            assert_forbidden_at(await system.gql(ASSIGN, away, role), "assignOpportunity")
            assert (await state(system, deal))["version"] == 1
        body = await system.gql(ASSIGN, {"id": deal, "owner": owner}, role)
        assert "errors" not in body, body
        done = body["data"]["assignOpportunity"]["opportunity"]
        assert (done["id"], done["ownerId"], done["team"], done["version"]) == (
            deal,
            owner,
            team,
            2,
        )
        assert (await state(system, deal))["ownerId"] == owner
        return
    deal = (await deals(system))[target]
    before = await state(system, deal)
    body = await system.gql(ASSIGN, {"id": deal, "owner": owner}, role)
    assert body.get("data") is None
    assert_forbidden_at(body, "assignOpportunity")
    assert await state(system, deal) == before  # nothing written


def _managed_target(role: str) -> str:
    """The first target group whose deals the role may assign."""
    return next(t for i, t in enumerate(TARGETS) if DEAL_MANAGES[role][i])


async def check_bulk_assign_opportunities(
    system: System, role: str, target: str, allowed: bool
) -> None:
    made = await deals(system)
    if not any(DEAL_MANAGES[role]):  # no bulk scope at all: the whole call is refused
        before = await state(system, made[target])
        body = await system.gql(
            BULK_ASSIGN, {"ids": [made[target]], "owner": NEW_OWNER[target]}, role
        )
        assert body.get("data") is None
        assert_forbidden_at(body, "bulkAssignOpportunities")
        assert await state(system, made[target]) == before
        return
    if allowed:
        deal, owner = await open_deal(system, target, "bulk"), NEW_OWNER[target]
        body = await system.gql(BULK_ASSIGN, {"ids": [deal], "owner": owner}, role)
        assert "errors" not in body, body
        result = body["data"]["bulkAssignOpportunities"]
        assert (result["succeeded"], result["failed"], result["truncated"]) == (1, 0, False)
        ok = {"id": deal, "ok": True, "version": 2, "code": None, "message": None}
        assert result["items"] == [ok]
        assert (await state(system, deal))["ownerId"] == owner
        return
    # A deal outside the caller's scope next to one inside it: a refusal of its own, the other
    # assigned, and nothing about the refused deal beyond what the caller sent.
    mine = _managed_target(role)
    fresh, outside = await open_deal(system, mine, "bulk"), made[target]
    before = await state(system, outside)
    body = await system.gql(BULK_ASSIGN, {"ids": [outside, fresh], "owner": NEW_OWNER[mine]}, role)
    assert "errors" not in body, body
    result = body["data"]["bulkAssignOpportunities"]
    assert (result["succeeded"], result["failed"], result["truncated"]) == (1, 1, False)
    refused, done = result["items"]
    assert (refused["id"], refused["ok"], refused["version"], refused["code"]) == (
        outside,
        False,
        None,
        "FORBIDDEN",
    )
    assert refused["message"]
    victim = system.customers[target]
    for secret in (victim.id, victim.name, victim.owner, f"Matrix {target}"):
        assert secret not in refused["message"], refused
    assert (done["id"], done["ok"], done["version"]) == (fresh, True, 2)
    assert await state(system, outside) == before


_by_filter: dict[str, tuple[dict[str, Any] | str, dict[str, str]]] = {}


async def bulk_by_filter(system: System, role: str) -> tuple[dict[str, Any] | str, dict[str, str]]:
    """A pipeline of its own with one deal per target group, bulk-assigned by a filter on that
    pipeline by `role` to someone of their team (once per role): the result or the error code,
    and target -> deal id."""
    if role not in _by_filter:
        pipeline = await new_pipeline(system)
        made = {t: await open_deal(system, t, f"filter {t}", pipeline) for t in TARGETS}
        owner = NEW_OWNER[_managed_target(role)] if any(DEAL_MANAGES[role]) else "sal-own"
        variables = {"f": {"pipelineId": pipeline}, "owner": owner}
        body = await system.gql(BULK_ASSIGN, variables, role)
        if "errors" in body:
            assert body.get("data") is None, body
            _by_filter[role] = body["errors"][0]["extensions"]["code"], made
        else:
            _by_filter[role] = body["data"]["bulkAssignOpportunities"], made
    return _by_filter[role]


async def check_bulk_assign_by_filter(
    system: System, role: str, target: str, allowed: bool
) -> None:
    """A filter selects within the caller's bulk scope: a deal outside it is neither assigned
    nor reported (not even as refused), so the result never tells it exists."""
    result, made = await bulk_by_filter(system, role)
    deal, manages = made[target], DEAL_MANAGES[role]
    if not any(manages):
        assert result == "FORBIDDEN"
        assert (await state(system, deal))["version"] == 1
        return
    assert isinstance(result, dict)
    assert (result["succeeded"], result["failed"], result["truncated"]) == (sum(manages), 0, False)
    items = {item["id"]: item for item in result["items"]}
    assert len(items) == sum(manages) and all(item["ok"] for item in items.values())
    assert (deal in items) is allowed
    expected = NEW_OWNER[_managed_target(role)] if allowed else system.customers[target].owner
    assert (await state(system, deal))["ownerId"] == expected


async def check_merge_opportunities(system: System, role: str, target: str, allowed: bool) -> None:
    if allowed:  # a fresh pair of this target group: the merge really happens
        survivor = await open_deal(system, target, "merge")
        merged = await open_deal(system, target, "merge")
        body = await system.gql(MERGE, {"s": survivor, "m": merged}, role)
        assert "errors" not in body, body
        done = body["data"]["mergeOpportunities"]
        assert done["survivor"] == {"id": survivor, "status": "OPEN"}
        assert done["merged"] == {"id": merged, "status": "MERGED", "mergedIntoId": survivor}
        return
    made = await deals(system)
    survivor, merged = made[target], made[f"{target}-spare"]
    before = [await state(system, survivor), await state(system, merged)]
    body = await system.gql(MERGE, {"s": survivor, "m": merged}, role)
    assert body.get("data") is None
    assert_forbidden_at(body, "mergeOpportunities")
    assert [await state(system, survivor), await state(system, merged)] == before


SALES_CHECKS = {
    "opportunity": check_opportunity,
    "update_opportunity": check_update_opportunity,
    "assign_opportunity": check_assign_opportunity,
    "bulk_assign_opportunities": check_bulk_assign_opportunities,
    "bulk_assign_by_filter": check_bulk_assign_by_filter,
    "merge_opportunities": check_merge_opportunities,
}
