"""Opportunity fields and updates: what a writer may give, what an update may not take away,
probability overrides, line items setting the amount, and the amount in the base currency."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from crm_sales.line_items.model import LineItemInput, price_lines
from crm_sales.money.model import Money, RateTable, exchange_rate
from crm_sales.opportunities.model import (
    assign,
    base_amount,
    conversion_date,
    effective_probability,
    move,
    open_opportunity,
    update,
)
from crm_sales.opportunities.values import (
    CLEAR,
    BuyingRole,
    Changes,
    Contact,
    NewOpportunity,
    Opportunity,
    OpportunityError,
)
from crm_sales.validation import SalesInputError, parse_date
from tests.unit.sales.samples import ALICE, NOW, book, opportunity, pipeline, product

LATER = NOW + timedelta(hours=5)
PRICED = Changes(amount="5000", expected_close_date=date(2026, 5, 31))


def _update(opp: Opportunity, changes: Changes) -> Opportunity:
    return update(opp, changes, pipeline=pipeline(), actor="bob", now=LATER).opportunity


def _refused(opp: Opportunity, changes: Changes) -> dict[str, str]:
    with pytest.raises(OpportunityError) as refused:
        update(opp, changes, pipeline=pipeline(), actor="bob", now=LATER)
    return refused.value.codes


def test_fields_are_normalised() -> None:
    opp = opportunity(
        Changes(
            next_step="  周五演示 ",
            source="展会",
            competitors=("Salesforce", "纷享销客", "Salesforce"),
            contacts=(("王总", "DECISION_MAKER"), ("李工", BuyingRole.TECHNICAL_EVALUATOR)),
            tags=("重点", " 重点 "),
            custom_fields={"region": "华东", "empty": "  "},
        )
    )
    assert opp.next_step == "周五演示"
    assert opp.competitors == ("Salesforce", "纷享销客")
    assert opp.contacts == (
        Contact("王总", BuyingRole.DECISION_MAKER),
        Contact("李工", BuyingRole.TECHNICAL_EVALUATOR),
    )
    assert opp.tags == ("重点",)
    assert dict(opp.custom_fields) == {"region": "华东"}


def test_each_bad_field_is_named_at_once() -> None:
    opp = opportunity()
    assert _refused(
        opp,
        Changes(
            name=" ",
            amount="12.345",
            expected_close_date="2026-02-30",
            contacts=(("", "BOSS"),),
            competitors=tuple(f"c{i}" for i in range(21)),
            custom_fields={"Bad Key": "x"},
            probability=101,
        ),
    ) == {
        "name": "REQUIRED",
        "amount": "PRECISION",
        "expectedCloseDate": "INVALID_DATE",
        "contacts[0].name": "REQUIRED",
        "contacts[0].role": "INVALID",
        "competitors": "TOO_MANY",
        "customFields.Bad Key": "INVALID_KEY",
        "probability": "OUT_OF_RANGE",
    }


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        (Changes(amount="-1"), {"amount": "NEGATIVE"}),
        (Changes(amount="1,5"), {"amount": "INVALID"}),
        (Changes(amount=1.5), {"amount": "FLOAT_NOT_ALLOWED"}),
        (Changes(amount="1", currency="RMB"), {"currency": "INVALID_CURRENCY"}),
        (Changes(expected_close_date="31/05/2026"), {"expectedCloseDate": "INVALID_DATE"}),
        (Changes(expected_close_date="1900-01-01"), {"expectedCloseDate": "OUT_OF_RANGE"}),
        (Changes(reason="PRICE"), {"reason": "NOT_APPLICABLE"}),
        (Changes(probability=True), {"probability": "OUT_OF_RANGE"}),
    ],
)
def test_bad_input_on_update_names_the_field(changes: Changes, codes: dict[str, str]) -> None:
    assert _refused(opportunity(), changes) == codes


def test_an_update_may_not_empty_what_the_stage_required() -> None:
    opp = opportunity(replace(PRICED, contacts=(("王总", "DECISION_MAKER"),)), stage_id="proposal")
    assert _refused(opp, Changes(amount=CLEAR, expected_close_date=CLEAR)) == {
        "amount": "REQUIRED",
        "expectedCloseDate": "REQUIRED",
    }
    assert _update(opp, Changes(contacts=())).contacts == ()  # proposal does not ask for them
    assert _update(opp, Changes(next_step=CLEAR)).next_step is None


def test_a_gate_added_later_does_not_block_unrelated_edits() -> None:
    opp = replace(opportunity(), stage_id="negotiation")  # entered before the gate existed
    assert _update(opp, Changes(name="新名称")).name == "新名称"


def test_an_update_records_tracked_changes_and_bumps_the_version() -> None:
    opp = opportunity(PRICED)
    done = update(
        opp,
        Changes(amount="6000.5", probability=20, next_step="报价"),
        pipeline=pipeline(),
        actor="bob",
        now=LATER,
    )
    assert done.opportunity.version == opp.version + 1
    assert done.opportunity.amount == Money(Decimal("6000.50"), "CNY")
    assert {(c.field, c.old, c.new, c.actor_id) for c in done.field_changes} == {
        ("amount", "5000.00 CNY", "6000.50 CNY", "bob"),
        ("probability", "10", "20", "bob"),
    }


def test_a_probability_override_remembers_who_and_clears_back_to_the_default() -> None:
    opp = _update(opportunity(), Changes(probability=65))
    assert opp.probability_override is not None
    assert (opp.probability_override.value, opp.probability_override.by) == (65, "bob")
    assert opp.probability_override.at == LATER
    assert effective_probability(opp, pipeline()) == 65
    assert effective_probability(_update(opp, Changes(probability=CLEAR)), pipeline()) == 10


def test_a_closed_deal_keeps_its_probability() -> None:
    won = move(
        opportunity(replace(PRICED, contacts=(("王总", "DECISION_MAKER"),))),
        "won",
        pipeline=pipeline(),
        changes=Changes(reason="SERVICE"),
        actor=ALICE,
        now=LATER,
    ).opportunity
    assert _refused(won, Changes(probability=50)) == {"probability": "NOT_OPEN"}
    assert _update(won, Changes(next_step="交付")).next_step == "交付"  # reason not re-asked


def test_line_items_set_the_amount_in_the_deal_currency() -> None:
    pro = product()
    lines = price_lines(
        [LineItemInput(pro.id, "2", discount_percent="10")],
        products={pro.id: pro},
        book=book((pro, "1000.00")),
        currency="CNY",
    )
    opp = _update(opportunity(), Changes(line_items=lines))
    assert opp.amount == Money(Decimal("1800.00"), "CNY")
    assert _refused(opp, Changes(amount="5")) == {"amount": "SET_BY_LINE_ITEMS"}
    assert _refused(opp, Changes(currency="USD")) == {"currency": "CURRENCY_MISMATCH"}
    usd_lines = price_lines(
        [LineItemInput(pro.id, "1")],
        products={pro.id: pro},
        book=book((pro, "150.00"), currency="USD"),
        currency="USD",
    )
    assert _refused(opp, Changes(line_items=usd_lines)) == {"lineItems": "CURRENCY_MISMATCH"}
    in_usd = _update(opp, Changes(currency="USD", line_items=usd_lines))
    assert (in_usd.currency, in_usd.amount) == ("USD", Money(Decimal("150.00"), "USD"))
    emptied = _update(opp, Changes(line_items=(), amount="99"))
    assert (emptied.line_items, emptied.amount) == ((), Money(Decimal("99.00"), "CNY"))


def test_a_new_currency_rechecks_the_amount() -> None:
    opp = opportunity(Changes(amount="10.50", currency="USD"))
    assert _refused(opp, Changes(currency="JPY")) == {"amount": "PRECISION"}
    assert _update(opp, Changes(currency="EUR")).amount == Money(Decimal("10.50"), "EUR")


def test_the_base_amount_uses_the_rate_of_the_closing_day_or_today() -> None:
    rates = RateTable(
        [
            exchange_rate("USD", "7.10", date(2026, 1, 1)),
            exchange_rate("USD", "7.30", date(2026, 4, 1)),
        ]
    )
    opp = opportunity(Changes(amount="1000", currency="USD"))
    today = date(2026, 4, 15)
    assert conversion_date(opp, today) == today
    open_value = base_amount(opp, rates, today)
    assert open_value is not None and open_value.amount.text == "7300.00"
    ready = replace(
        opp,
        expected_close_date=date(2026, 4, 30),
        contacts=(Contact("王总", BuyingRole.DECISION_MAKER),),
    )
    won = move(
        ready,
        "won",
        pipeline=pipeline(),
        changes=Changes(reason="PRICE"),
        actor=ALICE,
        now=datetime(2026, 3, 20, 8, tzinfo=UTC),
    ).opportunity
    assert conversion_date(won, today) == date(2026, 3, 20)
    won_value = base_amount(won, rates, today)
    assert won_value is not None
    assert (won_value.amount.text, won_value.rate, won_value.rate_effective_from) == (
        "7100.00",
        Decimal("7.10"),
        date(2026, 1, 1),
    )
    assert base_amount(opportunity(), rates, today) is None
    assert base_amount(opp, rates, date(2025, 6, 1)) is None  # no rate yet: counted apart


def test_assign_changes_owner_and_team() -> None:
    opp = assign(opportunity(), owner_id="carol", team=None, now=LATER)
    assert (opp.owner_id, opp.team, opp.version) == ("carol", "east", 2)
    with pytest.raises(OpportunityError) as refused:
        assign(opp, owner_id=" ", team="x" * 101, now=LATER)
    assert refused.value.codes == {"ownerId": "REQUIRED", "team": "TOO_LONG"}


def test_creation_needs_a_name_a_customer_and_an_owner() -> None:
    command = NewOpportunity(" ", " ", " ", "pl-standard")
    with pytest.raises(OpportunityError) as refused:
        open_opportunity(command, id="o", pipeline=pipeline(), actor=ALICE, now=NOW)
    assert refused.value.codes == {
        "customerId": "REQUIRED",
        "ownerId": "REQUIRED",
        "name": "REQUIRED",
    }
    with pytest.raises(ValueError, match="pipeline"):
        open_opportunity(
            replace(command, pipeline_id="other"), id="o", pipeline=pipeline(), actor=ALICE, now=NOW
        )


@pytest.mark.parametrize(
    "raw",
    ["2026/03/01", "20260301", "2026-W10-1", "2026-02-30", "2026-3-1", "", "tomorrow"],
)
def test_a_close_date_in_an_impossible_format_is_refused(raw: str) -> None:
    with pytest.raises(SalesInputError) as refused:
        parse_date(raw, field="expectedCloseDate")
    assert refused.value.codes == {"expectedCloseDate": "INVALID_DATE"}


def test_a_datetime_is_not_a_date() -> None:
    assert parse_date(" 2026-03-01 ", field="d") == date(2026, 3, 1)
    with pytest.raises(SalesInputError) as refused:
        parse_date(NOW, field="d")  # which day depends on a time zone nobody stated
    assert refused.value.codes == {"d": "INVALID_DATE"}
