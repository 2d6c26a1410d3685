"""The customer projection the services keep from customer events (`crm_kit.customer_projection`):
which snapshot wins, how a view and a service's own fields are stored, the lifecycle upsert,
and where a new record of a customer is filed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from crm_kit.customer_projection.model import ACTIVE, ARCHIVED, ERASED, MERGED, CustomerView
from crm_kit.customer_projection.queries import CustomerQueries
from crm_kit.customer_projection.store import (
    PLAIN_VIEWS,
    ViewDocs,
    lifecycle_update,
    view_fields,
    view_to_doc,
)
from crm_kit.mongo import Document, Session

AT = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


def view(customer_id: str, version: int = 1, **changes: Any) -> CustomerView:
    plain = CustomerView(customer_id, "alice", "east", "LEAD", version, AT)
    return replace(plain, **changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class NamedView(CustomerView):
    """A service's view with a field of its own, as interaction keeps the name."""

    display_name: str


def named_to_doc(v: NamedView) -> Document:
    return {**view_to_doc(v), "displayName": v.display_name}


def named_from_doc(doc: Document) -> NamedView:
    return NamedView(**view_fields(doc), display_name=doc.get("displayName", ""))


NAMED = ViewDocs(named_to_doc, named_from_doc, blank={"displayName": ""})


def test_only_a_newer_snapshot_replaces_the_stored_one() -> None:
    assert view("c", 3).is_newer_than(None)
    assert view("c", 3).is_newer_than(2)
    assert not view("c", 3).is_newer_than(3)
    assert not view("c", 3).is_newer_than(4)


def test_a_snapshot_is_stored_without_its_lifecycle() -> None:
    doc = view_to_doc(view("c", 2, lifecycle=ARCHIVED, merged_into="d"))
    assert set(doc) == {"_id", "ownerId", "team", "stage", "version", "updatedAt"}
    assert PLAIN_VIEWS.from_doc(doc) == view("c", 2)  # read back: ACTIVE, merged into none


def test_a_service_s_own_fields_round_trip_beside_the_kit_s() -> None:
    named = NamedView(**view_fields(view_to_doc(view("c"))), display_name="华东贸易")
    doc = NAMED.to_doc(named)
    assert doc["displayName"] == "华东贸易"
    stored = {**doc, "lifecycle": MERGED, "mergedInto": "d"}
    assert NAMED.from_doc(stored) == replace(named, lifecycle=MERGED, merged_into="d")


def test_a_lifecycle_mark_on_a_customer_never_seen_leaves_a_version_0_stub() -> None:
    update = lifecycle_update(MERGED, "survivor", AT, NAMED.blank)
    assert update["$set"] == {"lifecycle": MERGED, "mergedInto": "survivor"}
    assert update["$setOnInsert"] == {
        "ownerId": None,
        "team": None,
        "stage": "",
        "version": 0,
        "updatedAt": AT,
        "displayName": "",
    }


@pytest.mark.parametrize("blank", [{}, {"displayName": ""}])
def test_an_erasure_blanks_the_service_s_own_fields_and_never_sets_a_path_twice(
    blank: dict[str, str],
) -> None:
    update = lifecycle_update(ERASED, None, AT, blank)
    assert update["$set"] == {"lifecycle": ERASED, "mergedInto": None, **blank}
    assert not set(update["$set"]) & set(update["$setOnInsert"])  # MongoDB refuses both


class Projection:
    """An in-memory projection; `appears_after` lookups of a customer find nothing first."""

    def __init__(self, *views: CustomerView, appears_after: int = 0) -> None:
        self.views = {v.id: v for v in views}
        self.misses = appears_after
        self.reads = 0

    async def get(self, customer_id: str, session: Session | None = None) -> CustomerView | None:
        self.reads += 1
        if self.misses > 0:
            self.misses -= 1
            return None
        return self.views.get(customer_id)

    async def get_many(self, customer_ids: Sequence[str]) -> dict[str, CustomerView]:
        return {i: self.views[i] for i in customer_ids if i in self.views}


async def test_a_record_is_filed_under_the_survivor_its_merges_lead_to() -> None:
    projection = Projection(
        view("a", lifecycle=MERGED, merged_into="b"),
        view("b", lifecycle=MERGED, merged_into="c"),
        view("c", lifecycle=ARCHIVED),
    )
    filing = await CustomerQueries(projection, 0).filing("a")
    assert (filing.view, filing.last_id) == (view("c", lifecycle=ARCHIVED), "c")


async def test_an_erased_survivor_files_nothing_and_names_where_it_stopped() -> None:
    projection = Projection(
        view("a", lifecycle=MERGED, merged_into="b"), view("b", lifecycle=ERASED)
    )
    filing = await CustomerQueries(projection, 0).filing("a")
    assert (filing.view, filing.last_id) == (None, "b")


async def test_a_cycle_of_merges_files_nothing() -> None:
    projection = Projection(
        view("a", lifecycle=MERGED, merged_into="b"), view("b", lifecycle=MERGED, merged_into="a")
    )
    filing = await CustomerQueries(projection, 0).filing("a")
    assert (filing.view, filing.last_id) == (None, "b")


async def test_a_customer_not_seen_yet_is_waited_for() -> None:
    projection = Projection(view("a"), appears_after=2)
    filing = await CustomerQueries(projection, 5).filing("a")
    assert filing.view == view("a") and projection.reads == 3
    unknown = await CustomerQueries(Projection(), 0).filing("nobody")
    assert (unknown.view, unknown.last_id) == (None, "nobody")


async def test_a_stub_is_a_customer_unless_a_snapshot_is_required() -> None:
    stub = view("a", 0, lifecycle=ACTIVE)
    assert (await CustomerQueries(Projection(stub), 0).filing("a")).view == stub
    required = CustomerQueries(Projection(stub), 0, snapshot_required=True)
    assert (await required.filing("a")).view is None
