"""The stage gate: every move — create, move, win, lose, reopen — is judged the same way, and
a refusal names each missing or wrong field so a kanban drop can prompt for exactly those."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from crm_kit.errors import FieldError
from crm_sales.opportunities.gate import AllowedMove
from crm_sales.opportunities.model import (
    allowed_moves,
    check_move,
    effective_probability,
    missing_fields,
    move,
    reopen,
)
from crm_sales.opportunities.values import (
    Changes,
    CloseReasons,
    Opportunity,
    OpportunityError,
    StageGateError,
    Status,
)
from crm_sales.pipelines.model import PipelineDraft, revise
from tests.unit.sales.samples import ALICE, NOW, opened, opportunity, pipeline, stages

LATER = NOW + timedelta(days=3)
READY = Changes(
    amount="120000.00",
    expected_close_date="2026-06-30",
    contacts=(("王总", "DECISION_MAKER"),),
)


def _codes(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: e.code for e in errors}


def _moved(opp: Opportunity, stage_id: str, changes: Changes | None = None) -> Opportunity:
    return move(
        opp, stage_id, pipeline=pipeline(), changes=changes or Changes(), actor=ALICE, now=LATER
    ).opportunity


def test_a_new_opportunity_starts_in_the_first_stage_at_its_default_odds() -> None:
    created = opened()
    opp = created.opportunity
    assert (opp.stage_id, opp.status, opp.version, opp.currency) == ("lead", Status.OPEN, 1, "CNY")
    assert effective_probability(opp, pipeline()) == 10
    assert (created.stage_change.kind, created.stage_change.from_stage_id) == ("CREATED", None)
    assert created.stage_change.pipeline_version == 1
    assert created.field_changes == ()


def test_creating_in_a_later_stage_passes_its_gate() -> None:
    with pytest.raises(OpportunityError) as refused:
        opened(stage_id="proposal")
    assert refused.value.codes == {"amount": "REQUIRED", "expectedCloseDate": "REQUIRED"}
    assert opportunity(READY, stage_id="negotiation").stage_id == "negotiation"


def test_an_imported_won_deal_needs_every_gate_and_a_reason() -> None:
    with pytest.raises(OpportunityError) as refused:
        opened(stage_id="won")
    assert refused.value.codes == {
        "amount": "REQUIRED",
        "expectedCloseDate": "REQUIRED",
        "contacts": "REQUIRED",
        "reason": "REQUIRED",
    }
    won = opportunity(replace(READY, reason="PRICE"), stage_id="won")
    assert won.status is Status.WON and won.closing is not None


def test_a_move_that_skips_a_gate_names_every_missing_field() -> None:
    opp = opportunity()
    errors = check_move(opp, "negotiation", pipeline(), Changes())
    assert _codes(errors) == {
        "amount": "REQUIRED",
        "expectedCloseDate": "REQUIRED",
        "contacts": "REQUIRED",
    }
    assert missing_fields(opp, "negotiation", pipeline(), Changes()) == (
        "amount",
        "expectedCloseDate",
        "contacts",
    )
    with pytest.raises(StageGateError) as refused:
        move(opp, "negotiation", pipeline=pipeline(), changes=Changes(), actor=ALICE, now=LATER)
    field_errors = refused.value.extensions["fieldErrors"]
    assert [e["field"] for e in field_errors] == ["amount", "expectedCloseDate", "contacts"]
    assert refused.value.extensions["code"] == "BAD_USER_INPUT"


def test_fields_given_with_the_move_count_and_are_checked() -> None:
    opp = opportunity()
    assert check_move(opp, "negotiation", pipeline(), READY) == []
    bad = Changes(amount="-5", expected_close_date="2026/06/30", currency="RMB")
    assert _codes(check_move(opp, "proposal", pipeline(), bad)) == {
        "currency": "INVALID_CURRENCY",
        "amount": "NEGATIVE",
        "expectedCloseDate": "INVALID_DATE",
    }


def test_unknown_and_same_stage_are_refused() -> None:
    opp = opportunity()
    assert _codes(check_move(opp, "signed", pipeline(), Changes())) == {"stageId": "UNKNOWN_STAGE"}
    assert _codes(check_move(opp, "lead", pipeline(), Changes())) == {"stageId": "SAME_STAGE"}
    with pytest.raises(StageGateError):
        move(opp, "signed", pipeline=pipeline(), changes=Changes(), actor=ALICE, now=LATER)


def test_a_move_records_the_stage_change_and_tracked_fields() -> None:
    opp = opportunity()
    done = move(opp, "proposal", pipeline=pipeline(), changes=READY, actor="bob", now=LATER)
    moved = done.opportunity
    assert (moved.stage_id, moved.version, moved.stage_entered_at) == ("proposal", 2, LATER)
    change = done.stage_change
    assert (change.from_stage_id, change.to_stage_id, change.kind, change.actor_id) == (
        "lead",
        "proposal",
        "MOVED",
        "bob",
    )
    assert {(c.field, c.old, c.new) for c in done.field_changes} == {
        ("amount", None, "120000.00 CNY"),
        ("probability", "10", "50"),
        ("expectedCloseDate", None, "2026-06-30"),
    }


def test_an_override_is_dropped_by_a_move_unless_the_move_gives_one() -> None:
    opp = opportunity(Changes(probability=35))
    assert effective_probability(opp, pipeline()) == 35
    assert opp.probability_override is not None and opp.probability_override.by == ALICE
    assert effective_probability(_moved(opp, "qualified"), pipeline()) == 25
    kept = _moved(opp, "qualified", Changes(probability=40))
    assert effective_probability(kept, pipeline()) == 40


def test_winning_needs_a_reason_from_the_list() -> None:
    opp = opportunity(READY, stage_id="negotiation")
    assert _codes(check_move(opp, "won", pipeline(), Changes())) == {"reason": "REQUIRED"}
    unknown = check_move(opp, "won", pipeline(), Changes(reason="LUCK"))
    assert _codes(unknown) == {"reason": "UNKNOWN_REASON"}
    custom = CloseReasons(won=("LUCK",), lost=())
    assert check_move(opp, "won", pipeline(), Changes(reason="LUCK"), reasons=custom) == []
    won = move(
        opp, "won", pipeline=pipeline(), changes=Changes(reason="PRICE"), actor=ALICE, now=LATER
    )
    assert won.opportunity.status is Status.WON
    assert won.opportunity.closing is not None and won.opportunity.closing.at == LATER
    assert effective_probability(won.opportunity, pipeline()) == 100
    assert (won.stage_change.kind, won.stage_change.reason) == ("WON", "PRICE")


def test_losing_is_possible_from_anywhere_with_a_reason_and_the_stage_fields() -> None:
    opp = opportunity()
    assert _codes(check_move(opp, "lost", pipeline(), Changes())) == {
        "note": "REQUIRED",
        "reason": "REQUIRED",
    }
    lost = _moved(opp, "lost", Changes(reason="NO_BUDGET", note="预算冻结"))
    assert lost.status is Status.LOST and effective_probability(lost, pipeline()) == 0
    assert lost.closing is not None and lost.closing.note == "预算冻结"


def test_reason_and_note_belong_to_closing_moves() -> None:
    assert _codes(
        check_move(opportunity(), "qualified", pipeline(), Changes(reason="PRICE", note="x"))
    ) == {"reason": "NOT_APPLICABLE", "note": "NOT_APPLICABLE"}


def test_a_closed_deal_moves_only_by_reopening_with_a_reason() -> None:
    lost = _moved(opportunity(), "lost", Changes(reason="TIMING", note="明年再谈"))
    assert _codes(check_move(lost, "qualified", pipeline(), Changes())) == {"stageId": "CLOSED"}
    with pytest.raises(StageGateError) as no_reason:
        reopen(
            lost,
            "qualified",
            pipeline=pipeline(),
            reason=" ",
            changes=Changes(),
            actor=ALICE,
            now=LATER,
        )
    assert no_reason.value.codes == {"reason": "REQUIRED"}
    with pytest.raises(StageGateError) as to_won:
        reopen(
            lost,
            "won",
            pipeline=pipeline(),
            reason="回来了",
            changes=Changes(),
            actor=ALICE,
            now=LATER,
        )
    assert to_won.value.codes["stageId"] == "NOT_OPEN_STAGE"
    with pytest.raises(StageGateError) as gated:
        reopen(
            lost,
            "proposal",
            pipeline=pipeline(),
            reason="预算恢复",
            changes=Changes(),
            actor=ALICE,
            now=LATER,
        )
    assert gated.value.codes == {"amount": "REQUIRED", "expectedCloseDate": "REQUIRED"}
    back = reopen(
        lost,
        "qualified",
        pipeline=pipeline(),
        reason="预算恢复",
        changes=Changes(),
        actor=ALICE,
        now=LATER,
    )
    assert (back.opportunity.status, back.opportunity.closing, back.opportunity.reopen_count) == (
        Status.OPEN,
        None,
        1,
    )
    assert (back.stage_change.kind, back.stage_change.reason) == ("REOPENED", "预算恢复")
    with pytest.raises(StageGateError) as open_one:
        reopen(
            back.opportunity,
            "lead",
            pipeline=pipeline(),
            reason="x",
            changes=Changes(),
            actor=ALICE,
            now=LATER,
        )
    assert open_one.value.codes == {"id": "NOT_CLOSED"}


def test_allowed_moves_tell_the_board_what_each_drop_still_needs() -> None:
    moves = allowed_moves(opportunity(), pipeline())
    assert moves == (
        AllowedMove("qualified", ()),
        AllowedMove("proposal", ("amount", "expectedCloseDate")),
        AllowedMove("negotiation", ("amount", "expectedCloseDate", "contacts")),
        AllowedMove("won", ("amount", "expectedCloseDate", "contacts", "reason")),
        AllowedMove("lost", ("note", "reason")),
    )
    no_lost_reasons = CloseReasons(won=("PRICE",), lost=())
    assert "lost" not in {
        m.stage_id for m in allowed_moves(opportunity(), pipeline(), reasons=no_lost_reasons)
    }
    lost = _moved(opportunity(), "lost", Changes(reason="TIMING", note="n"))
    reopening = allowed_moves(lost, pipeline())
    assert [m.stage_id for m in reopening] == ["lead", "qualified", "proposal", "negotiation"]
    assert all(m.reopen and m.missing[0] == "reason" for m in reopening)


def test_custom_field_requirements_and_a_later_gate() -> None:
    lead, qualified, proposal, negotiation, won, lost = stages()
    gated = replace(qualified, required_fields=("customFields.region",))
    revised = revise(
        pipeline(), PipelineDraft("流程", "Flow", (lead, gated, proposal, negotiation, won, lost))
    )
    opp = opportunity()
    assert missing_fields(opp, "qualified", revised, Changes()) == ("customFields.region",)
    given = Changes(custom_fields={"region": "华东"})
    assert missing_fields(opp, "qualified", revised, given) == ()
    assert revised.version == 2
