"""The caller's presentation settings (pure): which time zone a client shows their times in."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Shanghai"


def known_zone(name: str) -> bool:
    """An IANA time zone this machine's database knows (a path or junk is not one)."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def time_zone(claimed: str, default: str) -> str:
    """The token's `zoneinfo` claim when it names a known zone, else the service's default:
    a bad claim must not break a client that formats times with it."""
    return claimed if known_zone(claimed) else default
