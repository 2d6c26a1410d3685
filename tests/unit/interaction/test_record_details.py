"""Communication record details: participants, outcome, next step, tags and attachments —
validation with field paths, normalisation, edits and what the event carries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crm_interaction.events import interaction_logged
from crm_interaction.interactions import model as domain
from crm_interaction.interactions.details import (
    ATTACHMENT_MAX_BYTES,
    MAX_TAGS,
    Attachment,
    Outcome,
    Participant,
    ParticipantKind,
    RecordDetails,
    from_doc,
    to_doc,
)
from crm_interaction.interactions.model import (
    Channel,
    Direction,
    InteractionChanges,
    LogInteraction,
)
from crm_kit.errors import BadUserInput

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
STAFF = ParticipantKind.STAFF
CONTACT = ParticipantKind.CONTACT
PDF = Attachment("报价单.pdf", "application/pdf", 120_000, "https://files.example.cn/q/1.pdf")
DETAILS = RecordDetails(
    participants=(Participant(STAFF, " bob "), Participant(CONTACT, None, " 王经理 ")),
    outcome=Outcome.FOLLOW_UP_NEEDED,
    next_step=" 周五前发送报价 ",
    tags=(" 报价 ", "renewal", "报价"),
    attachments=(PDF,),
)
COMMAND = LogInteraction("c1", Channel.MEETING, Direction.OUTBOUND, "面谈", details=DETAILS)


def field_errors(details: RecordDetails) -> set[tuple[str, str]]:
    with pytest.raises(BadUserInput) as caught:
        domain.new_interaction(replace(COMMAND, details=details), id="i", logged_by="a", now=NOW)
    return {(e.field, e.code) for e in caught.value.field_errors}


def test_details_are_normalised_and_round_trip_through_storage() -> None:
    made = domain.new_interaction(COMMAND, id="i1", logged_by="alice", now=NOW)
    assert made.details.participants == (
        Participant(STAFF, "bob"),
        Participant(CONTACT, None, "王经理"),
    )
    assert made.details.tags == ("报价", "renewal")
    assert made.details.next_step == "周五前发送报价"
    assert from_doc(to_doc(made.details)) == made.details


def test_each_bad_detail_is_named() -> None:
    bad = RecordDetails(
        participants=(Participant(STAFF, " "), Participant(CONTACT)),
        next_step="x" * 1001,
        tags=("", *(f"t{n}" for n in range(MAX_TAGS))),
        attachments=(
            Attachment("", "pdf", -1, "ftp://x/y"),
            Attachment("a.txt", "text/plain", ATTACHMENT_MAX_BYTES + 1),
            Attachment("b.txt", "text/plain", 1, storage_key="../etc/passwd"),
        ),
    )
    assert field_errors(bad) == {
        ("participants[0].id", "REQUIRED"),
        ("participants[1]", "REQUIRED"),
        ("nextStep", "TOO_LONG"),
        ("tags", "TOO_MANY"),
        ("tags[0]", "REQUIRED"),
        ("attachments[0].name", "REQUIRED"),
        ("attachments[0].contentType", "INVALID"),
        ("attachments[0].sizeBytes", "OUT_OF_RANGE"),
        ("attachments[0].url", "INVALID"),
        ("attachments[1].sizeBytes", "OUT_OF_RANGE"),
        ("attachments[1]", "REQUIRED"),
        ("attachments[2].storageKey", "INVALID"),
    }


def test_edit_replaces_given_details_and_keeps_the_rest() -> None:
    made = domain.new_interaction(COMMAND, id="i1", logged_by="alice", now=NOW)
    edited = domain.edit(
        made, InteractionChanges(tags=("签约",), outcome=Outcome.SUCCESSFUL, next_step=""), NOW
    )
    assert edited.details.tags == ("签约",) and edited.details.outcome is Outcome.SUCCESSFUL
    assert edited.details.next_step is None  # "" clears it
    assert edited.details.participants == made.details.participants
    assert edited.details.attachments == (PDF,) and edited.version == 2
    with pytest.raises(BadUserInput):
        domain.edit(made, InteractionChanges(tags=("x" * 51,)), NOW)


def test_the_event_names_staff_and_counts_attachments_without_personal_details() -> None:
    made = domain.new_interaction(COMMAND, id="i1", logged_by="alice", now=NOW)
    data = interaction_logged.payload(made)["interaction"]
    assert data["participantStaffIds"] == ["bob"] and data["attachmentCount"] == 1
    assert data["outcome"] == "FOLLOW_UP_NEEDED" and data["tags"] == ["报价", "renewal"]
    assert "王经理" not in str(data) and "files.example.cn" not in str(data)
    assert "周五" not in str(data)
