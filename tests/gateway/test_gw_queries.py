"""Client-facing query features through the gateway over HTTP."""

from __future__ import annotations

import httpx
from gw_support import Served, gql


async def test_entity_fields_from_three_subgraphs_and_a_nested_hop(
    client: httpx.AsyncClient,
) -> None:
    result = await gql(
        client,
        """query Top($n: Int!) { topProducts(first: $n) {
            upc name inStock shippingEstimate reviewCount
            reviews { body author { id username name } } } }""",
        {"n": 2},
    )
    assert "errors" not in result, result
    products = result["data"]["topProducts"]
    assert [p["upc"] for p in products] == ["p1", "p2"]
    first = products[0]
    assert first["name"] == "Product 1"
    assert first["inStock"] is True and products[1]["inStock"] is False
    assert first["shippingEstimate"] == 2  # weight 1 * 2, computed from @requires fields
    assert products[1]["shippingEstimate"] == 4
    assert first["reviewCount"] == 2
    assert first["reviews"][0] == {
        "body": "p1 review 0",
        "author": {"id": "u1", "username": "provided-u1", "name": "Name u1"},
    }
    assert list(first) == ["upc", "name", "inStock", "shippingEstimate", "reviewCount", "reviews"]


async def test_aliases_named_and_inline_fragments_and_typename(client: httpx.AsyncClient) -> None:
    result = await gql(
        client,
        """query Q { __typename
            a: product(upc: "p3") { ...P kind: __typename }
            b: product(upc: "p1") { title: name ... on Product { count: reviewCount } } }
        fragment P on Product { code: upc name reviews { ... on Review { body } } }""",
    )
    assert "errors" not in result, result
    assert result["data"] == {
        "__typename": "Query",
        "a": {
            "code": "p3",
            "name": "Product 3",
            "reviews": [{"body": "p3 review 0"}, {"body": "p3 review 1"}],
            "kind": "Product",
        },
        "b": {"title": "Product 1", "count": 2},
    }


async def test_client_alias_that_collides_with_a_key_field(client: httpx.AsyncClient) -> None:
    # The client uses the response key "upc" for `name`; the gateway still needs the real key.
    result = await gql(client, '{ product(upc: "p2") { upc: name reviews { body } } }')
    assert "errors" not in result, result
    assert result["data"] == {
        "product": {
            "upc": "Product 2",
            "reviews": [{"body": "p2 review 0"}, {"body": "p2 review 1"}],
        }
    }


async def test_variables_skip_and_include(client: httpx.AsyncClient) -> None:
    query = """query V($n: Int!, $skipStock: Boolean!, $withReviews: Boolean!) {
        topProducts(first: $n) {
            upc inStock @skip(if: $skipStock)
            reviews @include(if: $withReviews) { body }
            ... @include(if: $withReviews) { reviewCount }
        } }"""
    off = await gql(client, query, {"n": 1, "skipStock": True, "withReviews": False})
    assert off == {"data": {"topProducts": [{"upc": "p1"}]}}
    on = await gql(client, query, {"n": 1, "skipStock": False, "withReviews": True})
    assert on["data"]["topProducts"] == [
        {
            "upc": "p1",
            "inStock": True,
            "reviews": [{"body": "p1 review 0"}, {"body": "p1 review 1"}],
            "reviewCount": 2,
        }
    ]


async def test_union_with_entity_fields_from_another_subgraph(client: httpx.AsyncClient) -> None:
    result = await gql(
        client,
        """{ search(text: "x") { __typename
              ... on Product { name reviewCount }
              ... on Category { title } } }""",
    )
    assert "errors" not in result, result
    assert result["data"]["search"] == [
        {"__typename": "Product", "name": "Product 1", "reviewCount": 2},
        {"__typename": "Category", "title": "Category x"},
        {"__typename": "Product", "name": "Product 2", "reviewCount": 2},
    ]


async def test_interface_with_fragment_on_implementation(client: httpx.AsyncClient) -> None:
    result = await gql(
        client,
        """{ accounts { id username __typename
              ... on User { name reviews { body } }
              ... on Admin { level } } }""",
    )
    assert "errors" not in result, result
    assert result["data"]["accounts"] == [
        {
            "id": "u2",
            "username": "user-u2",
            "__typename": "User",
            "name": "Name u2",
            "reviews": [{"body": "review by u2"}],
        },
        {"id": "a1", "username": "root", "__typename": "Admin", "level": 9},
    ]


async def test_mutations_run_in_order(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    import gw_toys

    result = await gql(
        client,
        """mutation M {
            first: createProduct(upc: "p7", name: "A") { upc reviewCount }
            review: addReview(upc: "p7", body: "nice") { body author { name } }
            last: renameProduct(upc: "p7", name: "B") { name }
        }""",
    )
    assert "errors" not in result, result
    assert result["data"] == {
        "first": {"upc": "p7", "reviewCount": 2},
        "review": {"body": "nice", "author": {"name": "Name u1"}},
        "last": {"name": "B"},
    }
    # createProduct sleeps first: had the gateway run them concurrently, the order would differ
    assert gw_toys.MUTATION_LOG == ["create:p7", "review:p7", "rename:p7"]


async def test_introspection_shows_only_the_public_schema(client: httpx.AsyncClient) -> None:
    result = await gql(
        client,
        """{ me { id } __schema { queryType { name } mutationType { name } types { name } }
            product: __type(name: "Product") { fields { name } } }""",
    )
    assert "errors" not in result, result
    names = {t["name"] for t in result["data"]["__schema"]["types"]}
    assert {"Product", "Review", "User", "Account", "Admin", "SearchResult", "Category"} <= names
    assert not {"_Any", "_Entity", "_Service", "ProductsMutation"} & names
    assert not any(n.startswith(("join__", "link__")) for n in names)
    assert result["data"]["__schema"]["mutationType"] == {"name": "Mutation"}
    fields = {f["name"] for f in result["data"]["product"]["fields"]}
    assert "internalCode" not in fields  # @inaccessible
    assert {"upc", "name", "reviews", "inStock", "shippingEstimate"} <= fields
    assert result["data"]["me"] == {"id": "u1"}


async def test_inaccessible_field_and_unknown_field_fail_validation(
    client: httpx.AsyncClient,
) -> None:
    for query in ('{ product(upc: "p1") { internalCode } }', "{ nope }"):
        result = await gql(client, query)
        assert "data" not in result
        assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    result = await gql(client, "{ product(upc: ")
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_bad_variables_are_bad_user_input(client: httpx.AsyncClient) -> None:
    result = await gql(client, "query($n: Int!) { topProducts(first: $n) { upc } }", {"n": "x"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in result


async def test_get_runs_queries_but_not_mutations(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ me { name } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"me": {"name": "Name u1"}}}
    response = await client.get(
        "/graphql", params={"query": 'mutation { renameProduct(upc: "p1", name: "x") { name } }'}
    )
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_fields_whose_types_differ_between_implementations_are_aliased(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    # in the accounts subgraph User.code is `String!` and Admin.code `String` (both `String` in
    # the supergraph): side by side they would fail the subgraph's validation
    result = await gql(
        client, "{ accounts { ... on User { id code } ... on Admin { id code level } } }"
    )
    assert result == {
        "data": {
            "accounts": [
                {"id": "u2", "code": "user-code"},
                {"id": "a1", "code": "admin-code", "level": 9},
            ]
        }
    }
    sent = subgraphs["accounts"].recorder.requests[-1]["query"]
    assert "__gwa_Admin_code: code" in sent
