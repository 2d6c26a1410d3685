"""The cost estimate (pure): connections size their edges, lists of scalars are leaves."""

from __future__ import annotations

from typing import Any

from graphql import OperationDefinitionNode, build_schema, parse

from crm_gateway.execution.limits import Limits, measure

SDL = """
type Query { customers(first: Int): CustomerConnection! products(first: Int): [Product!]! }
type CustomerConnection { edges: [CustomerEdge!]! totalCount: Int! pageInfo: PageInfo! }
type PageInfo { hasNextPage: Boolean! endCursor: String }
type CustomerEdge { cursor: String! node: Customer! }
type Customer { id: ID! displayName: String! stage: Stage! ownerId: ID tags: [String!]!
  phones: [String!]! createdAt: String! contacts: [Contact!]! }
type Contact { name: String! }
type Product { upc: String! reviews: [Review!]! }
type Review { id: ID! }
enum Stage { LEAD CUSTOMER }
"""
SCHEMA = build_schema(SDL)


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return measure(SCHEMA, operation, {}, variables or {}, Limits()).cost


def test_the_documented_page_of_a_list_screen_fits_the_default_limit() -> None:
    page = """query($n: Int) { customers(first: $n) { totalCount pageInfo { hasNextPage }
      edges { cursor node { id displayName stage ownerId tags phones createdAt } } } }"""
    # customers 1 × (1 + totalCount 1 + pageInfo 2 + edges 100 × (1 + cursor 1 + node 8))
    assert cost(page, {"n": 100}) == 1 + 1 + 2 + 100 * (1 + 1 + 8)
    assert cost(page, {"n": 100}) <= Limits().max_cost


def test_a_list_of_objects_below_a_page_counts_the_default_size() -> None:
    query = "{ customers(first: 10) { edges { node { contacts { name } } } } }"
    # edges 10 × (1 + node (1 + contacts 10 × (1 + name 1)))
    assert cost(query) == 1 + 10 * (1 + 1 + 10 * 2)


def test_a_list_field_with_its_own_size_argument_is_unchanged() -> None:
    assert cost("{ products(first: 30) { upc } }") == 30 * 2
    assert cost("{ products(first: 2) { reviews { id } } }") == 2 * (1 + 10 * 2)
