"""`@<staff id>` mentions: what counts as one, and what leaves the service in events."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_interaction.events import interaction_logged
from crm_interaction.interactions.mentions import MAX_MENTIONS, mentioned
from crm_interaction.interactions.model import Channel, Direction, LogInteraction, new_interaction


def test_mentions_are_distinct_staff_ids_in_order() -> None:
    text = "@bob 请看一下，@li.na 和 @bob 跟进；cc @wang-wei."
    assert mentioned(text) == ["bob", "li.na", "wang-wei"]


def test_email_addresses_and_the_author_are_not_mentions() -> None:
    assert mentioned("mail bob@example.com or a+b@x.cn, @@x") == []
    assert mentioned("@alice @carol", author="alice") == ["carol"]
    assert mentioned("(@dave), 「@erin」") == ["dave", "erin"]


def test_mentions_are_capped() -> None:
    text = " ".join(f"@u{n}" for n in range(MAX_MENTIONS + 5))
    assert mentioned(text) == [f"u{n}" for n in range(MAX_MENTIONS)]


def test_interaction_logged_carries_mentioned_ids_not_content() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    command = LogInteraction("c1", Channel.PHONE, Direction.OUTBOUND, "客户要报价 @bob 请跟进")
    data = interaction_logged.payload(new_interaction(command, id="i1", logged_by="alice", now=now))
    assert data["mentionedStaffIds"] == ["bob"]
    assert "报价" not in str(data)
