"""One field vocabulary for clients: history changes and merge choices name fields as the
`Customer` type does, whatever the model and the stored history call them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import GraphQLInputObjectType, GraphQLObjectType

from crm_customer.duplicates.model import CHOOSABLE, MERGEABLE, FieldChoice, check_request
from crm_customer.graphql.schema import schema
from crm_customer.history.model import TRACKED, NotYetCreated, api_field, api_value
from crm_customer.i18n import EN, ZH, localise_extensions
from crm_kit.errors import BadUserInput

API = schema._schema  # the subgraph's GraphQL schema, as clients see it
CUSTOMER = API.get_type("Customer")
FIELD_CHOICE = API.get_type("FieldChoiceInput")


def customer_fields() -> set[str]:
    assert isinstance(CUSTOMER, GraphQLObjectType)
    return set(CUSTOMER.fields)


def test_every_tracked_field_is_named_as_the_customer_type_names_it() -> None:
    fields = customer_fields()
    assert {n: api_field(n) for n in TRACKED if api_field(n) not in fields} == {}
    assert api_field("company_size") == "companySize"
    assert api_field("id_card_number") == "idCardNumber"
    assert api_field("owner_id") == "ownerId"
    assert api_field("name") == "displayName"
    assert api_field("merged_from") == "mergedFrom"
    # a custom field's key is the client's own: only the prefix is the API's
    assert api_field("custom_fields.budget_2025") == "customFields.budget_2025"


def test_record_values_are_keyed_by_the_api_names() -> None:
    stored = [{"province": "浙江省", "postal_code": "310000"}]
    assert api_value("addresses", stored) == [{"province": "浙江省", "postalCode": "310000"}]
    assert api_value("tags", ["a_b"]) == ["a_b"]
    assert api_value("custom_fields.x", {"a_b": 1}) == {"a_b": 1}


def test_merge_choices_take_the_customer_type_names_and_the_description_lists_them() -> None:
    fields = customer_fields()
    assert set(CHOOSABLE) - {"name"} <= fields  # `name`: the input's spelling, still accepted
    assert {CHOOSABLE[api_field(n)] for n in MERGEABLE} == set(MERGEABLE)
    assert CHOOSABLE["displayName"] == CHOOSABLE["name"] == "name"
    assert isinstance(FIELD_CHOICE, GraphQLInputObjectType)
    description = FIELD_CHOICE.fields["field"].description or ""
    assert [n for n in CHOOSABLE if n not in description] == []
    check_request("a", ["b"], [FieldChoice("companySize", "b"), FieldChoice("ownerId", "a")])


def test_merge_choices_refuse_the_model_spelling() -> None:
    with pytest.raises(BadUserInput) as refused:
        check_request("a", ["b"], [FieldChoice("company_size", "b")])
    [error] = refused.value.field_errors
    assert (error.field, error.code) == ("fieldChoices[0].field", "UNKNOWN_FIELD")


def test_not_yet_created_names_at_and_carries_the_creation_time() -> None:
    created = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    extensions = NotYetCreated("c1", created).extensions
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["createdAt"] == "2026-03-01T08:30:00+00:00"
    [error] = extensions["fieldErrors"]
    assert (error["field"], error["code"]) == ("at", "NOT_YET_CREATED")
    english = localise_extensions(extensions, EN)["fieldErrors"][0]["message"]
    chinese = localise_extensions(extensions, ZH)["fieldErrors"][0]["message"]
    assert english == "The customer did not exist yet at this time"
    assert chinese == "该时间点客户尚未创建"
