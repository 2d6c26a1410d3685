"""The customer list's order (pure): each `orderBy` sorts by its time field and the id in one
direction, binds its cursors to itself (with the names the former `sort` gave them, so a cursor
made before stays valid), and is served by the index of the filter's leading field."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import permutations

import pytest

from crm_customer.customers.filters import CustomerFilter, CustomerOrder, CustomerOrderField, plan
from crm_customer.staff.model import StaffFilter
from crm_customer.staff.store import directory_query
from crm_kit.errors import BadUserInput
from crm_kit.listing import OrderDirection
from crm_kit.paging import Keyset, decode_cursor, encode_cursor

CREATED, UPDATED = CustomerOrderField.CREATED_AT, CustomerOrderField.UPDATED_AT
ASC, DESC = OrderDirection.ASC, OrderDirection.DESC
ORDERS = [CustomerOrder(f, d) for f in (CREATED, UPDATED) for d in (ASC, DESC)]


def test_each_order_names_its_key_direction_and_cursor() -> None:
    assert [(o.key, o.sign, o.cursor_order) for o in ORDERS] == [
        ("created_at", 1, "CREATED_ASC"),
        ("created_at", -1, "CREATED_DESC"),
        ("updated_at", 1, "UPDATED_ASC"),
        ("updated_at", -1, "UPDATED_DESC"),
    ]
    assert CustomerOrder() == CustomerOrder(CREATED, DESC)


def test_a_cursor_is_refused_under_any_other_order() -> None:
    keyset = Keyset(datetime(2026, 5, 1, tzinfo=UTC), "c1")
    for made_in, sent_with in permutations(ORDERS, 2):
        cursor = encode_cursor(keyset, order=made_in.cursor_order)
        assert decode_cursor(cursor, order=made_in.cursor_order) == keyset
        with pytest.raises(BadUserInput) as raised:
            decode_cursor(cursor, order=sent_with.cursor_order)
        assert raised.value.field_errors[0].code == "INVALID_CURSOR"


def test_every_order_reads_through_the_filter_index() -> None:
    query = CustomerFilter(owner_id="bob", stages=[]).query()
    for order in ORDERS:
        chosen = plan(query, order.key)
        assert chosen.index == "owner_created"
        assert chosen.sort_served is (order.field is CREATED)


def test_the_staff_filter_is_active_members_unless_asked_and_a_literal_prefix() -> None:
    assert directory_query(StaffFilter()) == {"active": True}
    assert directory_query(StaffFilter("east", include_inactive=True)) == {"team": "east"}
    prefix = {"$regex": r"^li\.\*", "$options": "i"}
    assert directory_query(StaffFilter(include_inactive=True, text="  li.* ")) == {
        "$or": [{"name": prefix}, {"_id": prefix}]
    }
    assert directory_query(StaffFilter(text="   ")) == {"active": True}
