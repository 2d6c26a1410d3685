"""Access control in the sales subgraph: `crm_kit.policy` applied to opportunities.

- An opportunity is judged by its own owner and team, with the caller's scope for the action
  on `OPPORTUNITY`: SALES their own (and, reading, their team's when
  `ACCESS_SALES_SEE_TEAM_CUSTOMERS` is on, as for customers), MANAGER their team's, ADMIN all,
  ANALYST reads all (personal data masked by its GraphQL type). Other roles: none.
- Lists, counts, sums, the board and the fields added to `Customer` and `StaffMember` select
  with `condition`, the same rule as a MongoDB condition, so they never count what a lookup
  would refuse.
- Creating an opportunity needs the caller's customer read scope on its customer (judged on
  the customer projection's owner and team) and the create scope on the new record's owner
  and team.
- Assigning an opportunity (`ASSIGN`) needs the scope on the deal as it is and on where it
  goes (its new owner and team): MANAGER within their team, ADMIN all, SALES none (they may
  not hand deals around, their own included). A bulk assignment needs some `BULK` scope and
  selects by filter within it. A new deal whose writer named no owner may go to the
  customer's owner only where the creator could assign it (`may_hand_to`).
- Merging needs the policy's `MERGE` scope on both deals: ADMIN all; MANAGER their team's, so
  a manager cleans up their own team's duplicates (no further than their reassigning goes: a
  merge closes a deal for good and hands its contents to another); SALES none.
- Pipelines, close reasons, exchange rates, products and price books are read by whoever may
  read some opportunity and written by ADMIN (`shared.writes.require_admin`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from crm_kit import policy
from crm_kit.auth import Principal
from crm_kit.errors import Forbidden
from crm_kit.policy import Action, PolicyOptions, Resource, Scope
from crm_sales.customers.model import CustomerView
from crm_sales.opportunities.values import Opportunity

OPPORTUNITY = Resource.OPPORTUNITY


@cache
def options() -> PolicyOptions:
    return PolicyOptions.from_env()


def scope(principal: Principal, action: Action) -> Scope:
    return policy.scope_of(principal, action, OPPORTUNITY, options())


def can(principal: Principal, action: Action, opportunity: Opportunity) -> bool:
    return policy.can(
        principal,
        action,
        OPPORTUNITY,
        owner_id=opportunity.owner_id,
        team=opportunity.team,
        options=options(),
    )


def forbidden(action: Action, opportunity_id: str | None = None) -> Forbidden:
    extra = {"id": opportunity_id} if opportunity_id else {}
    what = f"opportunity {opportunity_id}" if opportunity_id else "opportunities"
    return Forbidden(
        f"Not allowed: {action.lower()} {what}",
        action=str(action),
        resource=str(OPPORTUNITY),
        **extra,
    )


def require(principal: Principal, action: Action, opportunity: Opportunity) -> None:
    """FORBIDDEN unless the caller's scope for `action` reaches this opportunity."""
    if not can(principal, action, opportunity):
        raise forbidden(action, opportunity.id)


def require_some(principal: Principal, action: Action) -> None:
    """FORBIDDEN unless the caller's scope for `action` reaches some opportunity."""
    if scope(principal, action) is Scope.NONE:
        raise forbidden(action)


def may_hand_to(principal: Principal, owner_id: str, team: str | None) -> bool:
    """Whether the caller's assign scope reaches a deal owned by `owner_id` in `team`. A team
    scope reaches only deals that stay in the caller's team: a manager handing a deal to
    themselves must not carry it out of the team they answer for."""
    granted = scope(principal, Action.ASSIGN)
    if granted is Scope.TEAM:
        return bool(team) and team == principal.team
    return policy.in_scope(principal, granted, owner_id.strip(), team)


def require_assigner(
    principal: Principal, opportunity: Opportunity, owner_id: str, team: str | None
) -> None:
    """ASSIGN on the deal as it is and on where it goes: its new owner and its team (`team`,
    or the one it keeps when None)."""
    require(principal, Action.ASSIGN, opportunity)
    kept = team if team is not None else opportunity.team
    if not may_hand_to(principal, owner_id, kept):
        raise forbidden(Action.ASSIGN, opportunity.id)


def require_merger(principal: Principal, opportunity: Opportunity | None = None) -> None:
    """FORBIDDEN unless the caller may merge some deal (None) or this one."""
    granted = scope(principal, Action.MERGE)
    if granted is Scope.NONE:
        raise forbidden(Action.MERGE)
    if opportunity is not None and not policy.in_scope(
        principal, granted, opportunity.owner_id, opportunity.team
    ):
        raise forbidden(Action.MERGE, opportunity.id)


def require_creator(principal: Principal) -> None:
    """Creating an opportunity at all (which one: `require` on the new record)."""
    if scope(principal, Action.CREATE) is Scope.NONE:
        raise forbidden(Action.CREATE)


def require_reader(principal: Principal) -> None:
    """Reading pipelines, reasons, rates and the catalogue: some opportunity read scope."""
    if scope(principal, Action.READ) is Scope.NONE:
        raise forbidden(Action.READ)


def condition(principal: Principal, action: Action = Action.LIST) -> dict[str, Any]:
    """The MongoDB condition selecting exactly the opportunities `can` allows ({}: all);
    FORBIDDEN for a caller with no scope at all."""
    found = policy.scope_filter(
        principal, action, OPPORTUNITY, options(), owner_field="ownerId", team_field="team"
    )
    if found is None:
        raise forbidden(action)
    return found


def require_customer(principal: Principal, customer: CustomerView) -> None:
    """Opening an opportunity for a customer needs the caller's customer read scope on it."""
    granted = policy.scope_of(principal, Action.READ, Resource.CUSTOMER, options())
    if not policy.in_scope(principal, granted, customer.owner_id, customer.team):
        raise Forbidden(
            f"Not allowed: read customer {customer.id}",
            action=str(Action.READ),
            resource=str(Resource.CUSTOMER),
            id=customer.id,
        )
