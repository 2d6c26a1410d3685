"""The audit log filter: exact matches as plain strings, and its time range as the stored ISO
text, half open."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_kit.audit.schema import AuditLogFilterInput, _query
from crm_kit.errors import BadUserInput
from crm_kit.listing import DateTimeRangeInput

MAY = datetime(2026, 5, 1, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, tzinfo=UTC)


def test_the_time_range_bounds_the_stored_iso_text() -> None:
    query = _query(AuditLogFilterInput(actor="alice", at=DateTimeRangeInput(from_=MAY, to=JUNE)))
    assert query == {
        "actor": "alice",
        "at": {
            "$gte": "2026-05-01T00:00:00.000000+00:00",
            "$lt": "2026-06-01T00:00:00.000000+00:00",
        },
    }


def test_a_reversed_time_range_is_refused_naming_it() -> None:
    with pytest.raises(BadUserInput) as raised:
        _query(AuditLogFilterInput(at=DateTimeRangeInput(from_=JUNE, to=MAY)))
    assert raised.value.field_errors[0].field == "filter.at.to"
