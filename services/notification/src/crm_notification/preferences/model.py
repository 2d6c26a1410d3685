"""Per-user preferences (pure): channels per type, quiet hours in the user's time zone,
daily digest, language, and where to reach the user (email, phone)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_kit.errors import BadUserInput, FieldError
from crm_notification.channels.model import PERSONAL_CHANNELS, Channel
from crm_notification.inbox.model import DEFAULT_LANGUAGE, Language, NotificationType

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_DIGEST_AT = time(9, 0)
DEFERRABLE = (Channel.EMAIL, Channel.SMS)
"""Quiet hours hold back what interrupts (email, SMS); the in-app inbox always fills."""


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time  # may be earlier than start: the window then spans midnight


@dataclass(frozen=True, slots=True)
class Preferences:
    user_id: str
    language: Language = DEFAULT_LANGUAGE
    time_zone: str = DEFAULT_TIME_ZONE
    quiet_hours: QuietHours | None = None
    digest: bool = False
    digest_at: time = DEFAULT_DIGEST_AT  # local time of the daily digest mail
    channels: Mapping[NotificationType, tuple[Channel, ...]] = field(default_factory=dict)
    email: str | None = None
    phone: str | None = None

    def channels_for(
        self, type: NotificationType, rule_channels: Sequence[Channel]
    ) -> list[Channel]:
        """The user's own choice for this type, else the rule's personal channels."""
        chosen = self.channels.get(type)
        if chosen is None:
            return [c for c in rule_channels if c in PERSONAL_CHANNELS]
        return [c for c in chosen if c in PERSONAL_CHANNELS]

    def reachable(self, channels: Sequence[Channel]) -> list[Channel]:
        """The channels of `channels` that can reach the user: e-mail needs their address,
        SMS their phone. When the user chose only channels that cannot, the in-app inbox
        (which always can) takes the notice instead of losing it."""
        addresses = {Channel.EMAIL: self.email, Channel.SMS: self.phone}
        usable = [c for c in channels if addresses.get(c, "in-app")]
        return usable or ([Channel.IN_APP] if channels else [])

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def quiet_until(prefs: Preferences, now: datetime) -> datetime | None:
    """When `now` falls in the user's quiet hours, the UTC instant they end; else None."""
    quiet = prefs.quiet_hours
    if quiet is None or quiet.start == quiet.end:
        return None
    local = now.astimezone(prefs.zone())
    clock = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside = quiet.start <= clock < quiet.end
        end_day = local.date()
    else:  # spans midnight, e.g. 22:00-08:00
        inside = clock >= quiet.start or clock < quiet.end
        end_day = local.date() + timedelta(days=1) if clock >= quiet.start else local.date()
    if not inside:
        return None
    end = datetime.combine(end_day, quiet.end, tzinfo=prefs.zone())
    return end.astimezone(UTC)


def next_digest_at(prefs: Preferences, now: datetime, at: time | None = None) -> datetime:
    """The next daily digest time (the user's `digest_at`, 09:00 by default, in their zone)
    at or after `now`, in UTC: the digest a notice planned now belongs to."""
    at = at or prefs.digest_at
    local = now.astimezone(prefs.zone())
    candidate = datetime.combine(local.date(), at, tzinfo=prefs.zone())
    if candidate < local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=prefs.zone())
    return candidate.astimezone(UTC)


def localized(variables: Mapping[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Template variables for display: ISO 8601 instants (UTC in events) become
    `YYYY-MM-DD HH:MM` in the reader's time zone; everything else is left alone."""
    shown: dict[str, Any] = {}
    for name, value in variables.items():
        shown[name] = value
        if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
            try:
                instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if instant.tzinfo is not None:
                shown[name] = instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return shown


def parse_clock(value: str, field_name: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise BadUserInput.single(field_name, "INVALID_TIME", "Use HH:MM (24-hour)") from exc


def validate(prefs: Preferences) -> Preferences:
    errors: list[FieldError] = []
    try:
        ZoneInfo(prefs.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("timeZone", "UNKNOWN_TIME_ZONE", "Not an IANA time zone"))
    for type, channels in prefs.channels.items():
        if any(c not in PERSONAL_CHANNELS for c in channels):
            errors.append(
                FieldError("channels", "NOT_PERSONAL", f"{type}: only IN_APP, EMAIL and SMS")
            )
    if prefs.email is not None and "@" not in prefs.email:
        errors.append(FieldError("email", "INVALID_EMAIL", "Not an email address"))
    if errors:
        raise BadUserInput(errors)
    return prefs


class Keep(Enum):
    """A preference an update leaves as it is."""

    KEEP = "KEEP"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True, kw_only=True)
class PreferenceChanges:
    """What one update changes: every field left KEEP keeps its value; `None` clears quiet
    hours, email or phone; `channels` replaces the choice of the types it names only."""

    language: Language | Keep = KEEP
    time_zone: str | Keep = KEEP
    quiet_hours: QuietHours | Keep | None = KEEP
    digest: bool | Keep = KEEP
    digest_at: time | Keep = KEEP
    channels: Mapping[NotificationType, tuple[Channel, ...]] = field(default_factory=dict)
    email: str | Keep | None = KEEP
    phone: str | Keep | None = KEEP

    def applied_to(self, prefs: Preferences) -> Preferences:
        names = ("language", "time_zone", "quiet_hours", "digest", "digest_at", "email", "phone")
        values = {n: v for n in names if (v := getattr(self, n)) is not KEEP}
        return replace(prefs, **values, channels={**prefs.channels, **self.channels})
