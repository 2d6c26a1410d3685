"""Composition from subgraph SDLs: what composes, and readable errors for what does not."""

from __future__ import annotations

import gw_toys
import pytest
from graphql import GraphQLObjectType, GraphQLUnionType

from crm_gateway.composition.api_schema import build_api_schema
from crm_gateway.composition.compose import SubgraphSDL, compose
from crm_gateway.composition.supergraph import CompositionError, Supergraph

LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: {imports})\n'


def fed2(
    sdl: str,
    imports: str = (
        '["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", '
        '"@tag", "@override"]'
    ),
) -> str:
    return LINK.replace("{imports}", imports) + sdl


def compose_sdls(**sdls: str) -> Supergraph:
    return compose([SubgraphSDL(name, f"http://{name}/graphql", sdl) for name, sdl in sdls.items()])


def errors_of(**sdls: str) -> list[str]:
    with pytest.raises(CompositionError) as caught:
        compose_sdls(**sdls)
    assert str(caught.value).startswith("Supergraph composition failed:")
    return caught.value.errors


def test_toy_subgraphs_compose_into_a_public_schema() -> None:
    supergraph = compose_sdls(
        **{
            name: schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]  # type: ignore[index]
            for name, schema in gw_toys.SCHEMAS.items()
        }
    )
    product = supergraph.types["Product"]
    assert product.subgraphs == ["products", "reviews", "inventory"]
    assert {sg: [k.fields for k in keys] for sg, keys in product.keys.items()} == {
        "products": ["upc"],
        "reviews": ["upc"],
        "inventory": ["upc"],
    }
    assert product.fields["shippingEstimate"].sources["inventory"].requires == "price weight"
    assert product.fields["weight"].resolving_subgraphs() == ["products"]
    assert product.fields["internalCode"].inaccessible
    assert supergraph.field("Review", "author").sources["reviews"].provides == "username"
    assert supergraph.types["User"].fields["name"].tags == ["public"]
    schema = build_api_schema(supergraph)
    # root types renamed by `schema { mutation: ProductsMutation }` are merged into Mutation
    assert schema.mutation_type is not None
    assert {"createProduct", "renameProduct", "addReview", "uploadProducts"} <= set(
        schema.mutation_type.fields
    )
    assert schema.mutation_type.fields["attachPhoto"].args["file"].type.of_type.name == "Upload"
    assert schema.query_type is not None
    assert (
        "_entities" not in schema.query_type.fields and "_service" not in schema.query_type.fields
    )
    assert "_Any" not in schema.type_map and "_Entity" not in schema.type_map
    product_type = schema.type_map["Product"]
    assert isinstance(product_type, GraphQLObjectType)
    assert "internalCode" not in product_type.fields
    union = schema.type_map["SearchResult"]
    assert isinstance(union, GraphQLUnionType)
    assert [t.name for t in union.types] == ["Product", "Category"]
    assert [t.name for t in schema.get_possible_types(schema.type_map["Account"])] == [
        "User",
        "Admin",
    ]  # type: ignore[arg-type]


def test_compound_multiple_and_unresolvable_keys_and_renamed_imports() -> None:
    a = fed2(
        """type Query { org(id: ID!): Org }
        type Org @primaryKey(fields: "id") @primaryKey(fields: "country code { value }") {
          id: ID! country: String! code: Code! name: String }
        type Code @federation__shareable { value: String! }""",
        '[{ name: "@key", as: "@primaryKey" }]',
    )
    b = fed2(
        """type Org @key(fields: "id", resolvable: false) { id: ID! }
        type Query { orgOfTheDay: Org }
        type Code @shareable { value: String! }"""
    )
    supergraph = compose_sdls(a=a, b=b)
    org = supergraph.types["Org"]
    assert [(k.fields, k.resolvable) for k in org.keys["a"]] == [
        ("id", True),
        ("country code { value }", True),
    ]
    assert [(k.fields, k.resolvable) for k in org.keys["b"]] == [("id", False)]
    assert org.resolvable_keys("b") == []
    assert supergraph.field("Code", "value").resolving_subgraphs() == ["a", "b"]


def test_non_shareable_field_in_two_subgraphs() -> None:
    errors = errors_of(
        a=fed2('type Query { p: P } type P @key(fields: "id") { id: ID! name: String }'),
        b=fed2('type P @key(fields: "id") { id: ID! name: String }'),
    )
    assert errors == [
        'Non-shareable field "P.name" is resolved from several subgraphs ("a", "b") but is '
        'not marked @shareable in subgraph(s) "a", "b"'
    ]


def test_conflicting_field_types() -> None:
    errors = errors_of(
        a=fed2('type Query { p: P } type P @key(fields: "id") { id: ID! size: Int @shareable }'),
        b=fed2('type P @key(fields: "id") { id: ID! size: String @shareable }'),
    )
    assert errors == [
        'Field "P.size" has incompatible types across subgraphs: "String" in subgraph "b" but '
        '"Int" in subgraph(s) "a"'
    ]


def test_nullability_differences_merge() -> None:
    supergraph = compose_sdls(
        a=fed2('type Query { p: P } type P @key(fields: "id") { id: ID! size: Int! @shareable }'),
        b=fed2('type P @key(fields: "id") { id: ID! size: Int @shareable }'),
    )
    assert supergraph.field("P", "size").type == "Int"


def test_kind_mismatch_and_bad_key_and_invalid_sdl() -> None:
    errors = errors_of(
        a=fed2('type Query { p: P } type P @key(fields: "nope") { id: ID! }'),
        b=fed2("interface P { id: ID! }"),
        c="type Query {",
    )
    assert (
        'Type "P" is a interface type in subgraph "b" but a object type in subgraph(s) "a"'
        in errors
    )
    assert any(e.startswith('Subgraph "c" has invalid SDL: Syntax Error') for e in errors)
    errors = errors_of(a=fed2('type Query { p: P } type P @key(fields: "nope") { id: ID! }'))
    assert errors == [
        '@key(fields: "nope") on "P" in subgraph "a" is invalid: field "P.nope" is not '
        'defined in subgraph "a"'
    ]


def test_external_everywhere_and_bad_requires() -> None:
    errors = errors_of(
        a=fed2('type Query { p: P } type P @key(fields: "id") { id: ID! w: Int @external }'),
        b=fed2(
            'type P @key(fields: "id") { id: ID! w: Int @external '
            'x: Int @requires(fields: "nothere") }'
        ),
    )
    assert (
        'Field "P.w" is marked @external in every subgraph that defines it ("a", "b"); '
        "one subgraph must resolve it" in errors
    )
    assert any(
        '@requires(fields: "nothere") on "P.x" in subgraph "b" is invalid' in e for e in errors
    )


def test_field_unreachable_without_a_key() -> None:
    errors = errors_of(
        a=fed2('type Query { p: P } type P @key(fields: "id") { id: ID! }'),
        b=fed2("type P { id: ID! @shareable extra: String }"),
    )
    assert errors == [
        'Field "P.extra" cannot be reached from subgraph "a": it is resolved only by '
        'subgraph(s) "b", which have no resolvable @key on "P" whose fields subgraph "a" '
        "can provide"
    ]


def test_inaccessible_type_referenced_by_accessible_field() -> None:
    errors = errors_of(a=fed2("type Query { s: Secret } type Secret @inaccessible { v: Int }"))
    assert errors == ['Field "Query.s" is accessible but its type "Secret" is @inaccessible']


def test_override_moves_a_field() -> None:
    supergraph = compose_sdls(
        a=fed2('type Query { p: P } type P @key(fields: "id") { id: ID! price: Int }'),
        b=fed2('type P @key(fields: "id") { id: ID! price: Int @override(from: "a") }'),
    )
    price = supergraph.field("P", "price")
    assert price.resolving_subgraphs() == ["b"]
    assert price.sources["a"].overridden


def test_enums_inputs_interfaces_and_values_merge() -> None:
    supergraph = compose_sdls(
        a=fed2(
            """type Query { find(filter: Filter, color: Color): [Thing!]! }
            input Filter { text: String limit: Int }
            enum Color { RED GREEN BLUE }
            interface Thing { id: ID! }
            type Box implements Thing @key(fields: "id") { id: ID! size: Size! @shareable }
            enum Kind { A B }
            type Size @shareable { w: Int! h: Int! }"""
        ),
        b=fed2(
            """type Query { kinds: [Kind!]!
              boxes(filter: Filter, color: Color): [Box!]! @shareable }
            input Filter { text: String }
            enum Color { RED GREEN }
            enum Kind { B C }
            type Box @key(fields: "id") { id: ID! size: Size! @shareable label: String }
            type Size @shareable { w: Int! h: Int! }"""
        ),
    )
    assert list(supergraph.types["Filter"].input_fields) == ["text"]  # intersection
    assert list(supergraph.types["Color"].enum_values) == ["RED", "GREEN"]  # input-only enum
    assert sorted(supergraph.types["Kind"].enum_values) == ["A", "B", "C"]  # output-only enum
    assert supergraph.field("Box", "size").resolving_subgraphs() == ["a", "b"]
    assert supergraph.possible_types("Thing") == ["Box"]
    errors = errors_of(
        a=fed2("type Query { f(c: Color): Color } enum Color { RED }"),
        b=fed2("type Query { g: Color @shareable } enum Color { RED BLUE }"),
    )
    assert any(e.startswith('Enum "Color" is used as both input and output type') for e in errors)
    errors = errors_of(
        a=fed2("type Query { f(i: In): Int } input In { x: Int! y: Int }"),
        b=fed2("type Query { g(i: In): Int } input In { y: Int }"),
    )
    assert errors == [
        'The field of input type "In" "x" is required in some subgraphs but missing in '
        'subgraph(s) "b"'
    ]


def test_no_subgraphs() -> None:
    with pytest.raises(CompositionError, match="No subgraphs"):
        compose([])
