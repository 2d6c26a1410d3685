"""Field names a client sees are the API's: a filter's range error names the filter input,
the interaction timeline names changed fields as the API does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_customer.customers.filters import CustomerFilter
from crm_interaction.events.on_customer_updated import api_name
from crm_kit.errors import BadUserInput
from crm_kit.listing import DateTimeRangeInput


@pytest.mark.parametrize("name", ["created", "updated"])
def test_an_inverted_range_names_the_filter_input(name: str) -> None:
    late, early = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    bounds = {name: DateTimeRangeInput(from_=late, to=early)}
    with pytest.raises(BadUserInput) as raised:
        CustomerFilter(**bounds).query()  # type: ignore[arg-type]
    assert [e.field for e in raised.value.field_errors] == [f"filter.{name}.to"]
    assert raised.value.field_errors[0].code == "OUT_OF_RANGE"


def test_the_timeline_names_changed_fields_as_the_api_does() -> None:
    assert api_name("source_detail") == "sourceDetail"
    assert api_name("merged_into") == "mergedInto"
    assert api_name("tags") == "tags"
