"""DateTime and Date are described and point at RFC 3339; a date-time input without an
offset is read as UTC, so no naive time reaches the services."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from crm_kit.graphql import Schema


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, at: datetime) -> str:
        return at.isoformat()


def test_date_and_time_scalars_say_their_specification() -> None:
    sdl = Schema(query=Query).as_str()
    rfc = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
    assert f'scalar DateTime @specifiedBy(url: "{rfc}")' in sdl


async def test_a_date_time_without_an_offset_is_utc() -> None:
    schema = Schema(query=Query)
    naive = await schema.execute('{ echo(at: "2026-12-07T08:30:00") }')
    assert naive.errors is None
    assert naive.data == {"echo": datetime(2026, 12, 7, 8, 30, tzinfo=UTC).isoformat()}
    shifted = await schema.execute('{ echo(at: "2026-12-07T08:30:00+08:00") }')
    assert shifted.data == {"echo": "2026-12-07T08:30:00+08:00"}
    bad = await schema.execute('{ echo(at: "yesterday") }')
    assert bad.errors
