"""Pipelines: a definition is checked as a whole, gates are cumulative, versions never rewrite
what came before."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crm_sales.pipelines.model import (
    ForecastCategory,
    PipelineDraft,
    PipelineError,
    StageDraft,
    StageKind,
    default_forecast,
    define,
    removed_stages,
    revise,
)
from tests.unit.sales.samples import pipeline, stages


def _draft(*drafts: StageDraft) -> PipelineDraft:
    return PipelineDraft("流程", "Flow", drafts)


def _refused(draft: PipelineDraft) -> dict[str, str]:
    with pytest.raises(PipelineError) as refused:
        define(draft, id="p")
    return refused.value.codes


def test_a_valid_pipeline_keeps_its_order_and_defaults() -> None:
    flow = pipeline()
    assert [s.id for s in flow.stages] == [
        "lead",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    assert flow.version == 1
    assert flow.first_stage.id == "lead"
    assert [s.id for s in flow.open_stages] == ["lead", "qualified", "proposal", "negotiation"]
    assert flow.stage("lead").forecast is ForecastCategory.PIPELINE
    assert flow.stage("won").forecast is ForecastCategory.CLOSED
    assert flow.stage("lost").forecast is ForecastCategory.OMITTED
    assert (flow.stage("lead").name_zh, flow.stage("lead").name_en) == ("线索", "Lead")


def test_default_forecast_follows_kind_and_odds() -> None:
    assert default_forecast(StageKind.OPEN, 95) is ForecastCategory.COMMIT
    assert default_forecast(StageKind.OPEN, 60) is ForecastCategory.BEST_CASE
    assert default_forecast(StageKind.OPEN, 59) is ForecastCategory.PIPELINE


def test_gates_are_cumulative_and_losing_asks_only_its_own_fields() -> None:
    flow = pipeline()
    assert flow.entry_requirements("qualified") == ()
    assert flow.entry_requirements("proposal") == ("amount", "expectedCloseDate")
    assert flow.entry_requirements("negotiation") == (
        "amount",
        "expectedCloseDate",
        "decisionMaker",
    )
    assert flow.entry_requirements("won") == ("amount", "expectedCloseDate", "decisionMaker")
    assert flow.entry_requirements("lost") == ("note",)


def test_an_unknown_stage_is_named() -> None:
    with pytest.raises(PipelineError) as refused:
        pipeline().stage("signed")
    assert refused.value.codes == {"stageId": "UNKNOWN_STAGE"}
    with pytest.raises(PipelineError):
        pipeline().entry_requirements("signed")


def test_each_kind_is_required() -> None:
    lead, _, _, _, won, lost = stages()
    assert _refused(_draft(lead, won)) == {"stages": "MISSING_STAGE_KIND"}
    assert _refused(_draft(won, lost)) == {"stages": "MISSING_STAGE_KIND"}
    assert _refused(_draft()) == {"stages": "REQUIRED"}


def test_stage_ids_are_unique_and_well_formed() -> None:
    lead, qualified, *_, won, lost = stages()
    assert _refused(_draft(lead, replace(qualified, id="lead"), won, lost)) == {
        "stages[1].id": "DUPLICATE_ID"
    }
    assert _refused(_draft(replace(lead, id="Lead Stage"), won, lost)) == {
        "stages[0].id": "INVALID"
    }


def test_probabilities_are_in_range_and_fixed_for_closing_stages() -> None:
    lead, *_, won, lost = stages()
    assert _refused(_draft(replace(lead, probability=101), won, lost)) == {
        "stages[0].probability": "OUT_OF_RANGE"
    }
    assert _refused(_draft(replace(lead, probability=-1), won, lost)) == {
        "stages[0].probability": "OUT_OF_RANGE"
    }
    assert _refused(_draft(lead, replace(won, probability=90), replace(lost, probability=5))) == {
        "stages[1].probability": "PROBABILITY_OF_KIND",
        "stages[2].probability": "PROBABILITY_OF_KIND",
    }


def test_forecast_categories_match_the_kind() -> None:
    lead, *_, won, lost = stages()
    closed_lead = replace(lead, forecast=ForecastCategory.CLOSED)
    committed_won = replace(won, forecast=ForecastCategory.COMMIT)
    assert _refused(_draft(closed_lead, committed_won, lost)) == {
        "stages[0].forecast": "FORECAST_OF_KIND",
        "stages[1].forecast": "FORECAST_OF_KIND",
    }


def test_required_fields_must_be_known_and_fit_the_kind() -> None:
    lead, *_, won, lost = stages()
    asks = replace(lead, required_fields=("amount", "budget", "reason", "customFields.region"))
    assert _refused(_draft(asks, won, lost)) == {
        "stages[0].requiredFields[1]": "UNKNOWN_FIELD",
        "stages[0].requiredFields[2]": "NOT_APPLICABLE",
    }
    bad_key = replace(lead, required_fields=("customFields.Bad Key",))
    assert _refused(_draft(bad_key, won, lost)) == {"stages[0].requiredFields[0]": "UNKNOWN_FIELD"}
    flow = define(_draft(replace(lead, required_fields=("amount", "amount")), won, lost), id="p")
    assert flow.stage("lead").required_fields == ("amount",)


def test_stall_threshold_is_for_open_stages_within_bounds() -> None:
    lead, *_, won, lost = stages()
    assert _refused(_draft(replace(lead, stall_days=0), won, replace(lost, stall_days=3))) == {
        "stages[0].stallDays": "OUT_OF_RANGE",
        "stages[2].stallDays": "NOT_APPLICABLE",
    }


def test_open_stages_come_before_closing_ones_and_names_are_required() -> None:
    lead, qualified, *_, won, lost = stages()
    assert _refused(_draft(lead, won, qualified, lost)) == {"stages[2].kind": "STAGE_ORDER"}
    assert _refused(_draft(replace(lead, name_zh=" "), won, lost)) == {
        "stages[0].nameZh": "REQUIRED"
    }
    with pytest.raises(PipelineError) as unnamed:
        define(PipelineDraft("", " ", stages()), id="p")
    assert unnamed.value.codes == {"nameZh": "REQUIRED"}
    one_name = define(PipelineDraft("", "Enterprise", stages()), id="p")
    assert (one_name.name_zh, one_name.name_en) == ("Enterprise", "Enterprise")


def test_a_revision_is_a_new_version_and_the_old_one_is_untouched() -> None:
    old = pipeline()
    lead, qualified, proposal, _, won, lost = stages()
    new = revise(
        old, PipelineDraft("标准销售流程", "Standard", (lead, qualified, proposal, won, lost))
    )
    assert (new.id, new.version) == (old.id, 2)
    assert old.version == 1 and old.find("negotiation") is not None
    assert removed_stages(old, new) == ("negotiation",)
    assert new.entry_requirements("won") == ("amount", "expectedCloseDate")
