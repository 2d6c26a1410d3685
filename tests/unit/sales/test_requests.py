"""What writers ask of the opportunity use cases, before any I/O: a card's position in its
column, the request as the domain's changes, one answer for priced lines and the gate, the
fields an update names as changed, and the ADMIN's reason lists."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crm_kit.errors import BadUserInput, FieldError
from crm_sales.kanban.model import Card
from crm_sales.opportunities.model import answered_together
from crm_sales.opportunities.publishing import changed_fields
from crm_sales.opportunities.requests import CardPosition, ChangeRequest
from crm_sales.opportunities.values import CLEAR, OpportunityError, StageGateError
from crm_sales.reasons.model import DEFAULT_REASONS, CloseReason, ReasonError, define_reasons
from tests.support import field_codes
from tests.unit.sales.samples import opened

COLUMN = [Card("a", 0), Card("b", 10), Card("c", 20)]


def test_a_position_is_an_index_among_the_other_cards() -> None:
    assert CardPosition(before_id="b").index(COLUMN, "x") == 1
    assert CardPosition(after_id="c").index(COLUMN, "x") == 3
    assert CardPosition(before_id="c").index(COLUMN, "a") == 1  # a itself is not counted


def test_a_position_names_one_card_of_the_column() -> None:
    with pytest.raises(BadUserInput) as both:
        CardPosition(before_id="a", after_id="b").index(COLUMN, "x")
    assert field_codes(both) == {"position": "INVALID"}
    with pytest.raises(BadUserInput) as stranger:
        CardPosition(after_id="zz").index(COLUMN, "x")
    assert field_codes(stranger) == {"position.afterId": "NOT_IN_STAGE"}


def test_a_request_becomes_the_domains_changes() -> None:
    request = ChangeRequest(amount=CLEAR, custom_fields=(("region", "east"),), tags=())
    changes = request.changes(None, reason="PRICE")
    assert (changes.amount, changes.custom_fields, changes.tags) == (CLEAR, {"region": "east"}, ())
    assert (changes.line_items, changes.reason, changes.name) == (None, "PRICE", None)


def test_priced_lines_and_the_gate_answer_together_once_per_field() -> None:
    found = [FieldError("lineItems[0].quantity", "OUT_OF_RANGE", "q")]

    def gate() -> None:
        raise StageGateError(
            [FieldError("lineItems", "REQUIRED", "l"), FieldError("amount", "REQUIRED", "a")]
        )

    with pytest.raises(StageGateError) as both:
        answered_together(list(found), gate)
    assert field_codes(both) == {"lineItems[0].quantity": "OUT_OF_RANGE", "amount": "REQUIRED"}
    with pytest.raises(OpportunityError):
        answered_together(list(found), lambda: 1)
    assert answered_together([], lambda: 2) == 2


def test_an_update_names_the_fields_it_changed() -> None:
    before = opened().opportunity
    after = replace(before, name="新名称", tags=("vip",), next_step=before.next_step)
    assert changed_fields(before, after) == ["name", "tags"]
    assert changed_fields(before, before) == []


def test_reason_lists_are_checked_whole() -> None:
    saved = define_reasons(
        [CloseReason(" price ", "价格", "")], [CloseReason("NO_BUDGET", "", "No budget")], version=1
    )
    assert saved.won == (CloseReason("PRICE", "价格", "价格"),)
    assert saved.codes().lost == ("NO_BUDGET",)
    assert "COMPETITOR" in DEFAULT_REASONS.codes().lost
    with pytest.raises(ReasonError) as refused:
        define_reasons([CloseReason("1X", "", "")], [], version=1)
    assert field_codes(refused) == {
        "won[0].code": "INVALID",
        "won[0].nameZh": "REQUIRED",
        "lost": "REQUIRED",
    }
