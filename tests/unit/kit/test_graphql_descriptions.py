"""The kit's helpers for a described API: a model's enum described value by value, the shared
paging and version arguments, a subgraph's described root types."""

from __future__ import annotations

from enum import StrEnum

import pytest
import strawberry

from crm_kit.graphql import (
    MUTATION,
    QUERY,
    ExpectedVersion,
    PageAfter,
    PageFirst,
    described_enum,
    root_type,
)


class Colour(StrEnum):
    RED = "RED"
    BLUE = "BLUE"


class Shape(StrEnum):
    ROUND = "ROUND"
    SQUARE = "SQUARE"


@strawberry.input
class Paint:
    shape: Shape  # met before it is described: strawberry makes a plain definition


described_enum(Colour, "A colour", {Colour.RED: "Warm.", Colour.BLUE: "Cold."})
described_enum(Shape, "A shape", {Shape.ROUND: "No corners.", Shape.SQUARE: "Four corners."})


@strawberry.type
class Reads:
    @strawberry.field
    def colours(self, first: PageFirst = 20, after: PageAfter = None) -> list[Colour]:
        return [Colour.RED]

    @strawberry.field
    def shape(self, paint: Paint) -> Shape:
        return paint.shape


@strawberry.type
class Writes:
    @strawberry.mutation
    def paint(self, expected_version: ExpectedVersion = None) -> Colour:
        return Colour.BLUE


def _schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=root_type("Query", (Reads,), QUERY),
        mutation=root_type("Mutation", (Writes,), MUTATION),
    )


def test_every_value_of_a_described_enum_carries_its_description() -> None:
    schema = _schema()._schema
    colour = schema.get_type("Colour")
    assert colour.description == "A colour"
    assert {n: v.description for n, v in colour.values.items()} == {
        "RED": "Warm.",
        "BLUE": "Cold.",
    }


def test_an_enum_strawberry_met_first_is_described_in_place() -> None:
    shape = _schema()._schema.get_type("Shape")
    assert shape.description == "A shape"
    assert shape.values["SQUARE"].description == "Four corners."


def test_a_value_without_a_description_is_an_error() -> None:
    class Size(StrEnum):
        SMALL = "SMALL"
        LARGE = "LARGE"

    with pytest.raises(ValueError, match="LARGE"):
        described_enum(Size, "A size", {Size.SMALL: "Small."})


def test_the_shared_arguments_and_the_root_types_are_described() -> None:
    schema = _schema()._schema
    assert schema.query_type.description == QUERY
    assert schema.mutation_type.description == MUTATION
    args = schema.query_type.fields["colours"].args
    assert "OUT_OF_RANGE" in (args["first"].description or "")
    assert "INVALID_CURSOR" in (args["after"].description or "")
    version = schema.mutation_type.fields["paint"].args["expectedVersion"]
    assert "CONFLICT" in (version.description or "")
