"""The caller's own notification preferences in GraphQL."""

from __future__ import annotations

from typing import Self

import strawberry

from crm_notification.channels.model import Channel
from crm_notification.graphql.context import Info, remember_caller
from crm_notification.inbox.model import NotificationType, language_of
from crm_notification.inbox.types import NotificationChannelEnum, NotificationTypeEnum
from crm_notification.preferences.model import (
    KEEP,
    Keep,
    PreferenceChanges,
    Preferences,
    QuietHours,
    parse_clock,
)


@strawberry.type
class QuietHoursWindow:
    start: str = strawberry.field(description="HH:MM in the user's time zone")
    end: str = strawberry.field(description="HH:MM; earlier than start = spans midnight")


@strawberry.type
class ChannelsForType:
    type: NotificationTypeEnum  # type: ignore[valid-type]
    channels: list[NotificationChannelEnum]  # type: ignore[valid-type]


@strawberry.type(description="How and when the caller wants to be told.")
class NotificationPreferences:
    language: str = strawberry.field(description="zh-CN (default) or en")
    time_zone: str
    quiet_hours: QuietHoursWindow | None
    digest: bool = strawberry.field(
        description="Emails come as ONE combined mail per day at digestAt (local time)."
    )
    digest_at: str = strawberry.field(description="HH:MM in the user's time zone (09:00)")
    channels: list[ChannelsForType]
    email: str | None
    phone: str | None

    @classmethod
    def from_model(cls, p: Preferences) -> Self:
        quiet = p.quiet_hours
        return cls(
            language=str(p.language),
            time_zone=p.time_zone,
            quiet_hours=(
                QuietHoursWindow(
                    start=quiet.start.strftime("%H:%M"), end=quiet.end.strftime("%H:%M")
                )
                if quiet
                else None
            ),
            digest=p.digest,
            digest_at=p.digest_at.strftime("%H:%M"),
            channels=[ChannelsForType(type=t, channels=list(cs)) for t, cs in p.channels.items()],
            email=p.email,
            phone=p.phone,
        )


@strawberry.input
class QuietHoursInput:
    start: str
    end: str


@strawberry.input
class ChannelsForTypeInput:
    type: NotificationTypeEnum  # type: ignore[valid-type]
    channels: list[NotificationChannelEnum]  # type: ignore[valid-type]


@strawberry.input(description="Fields left out keep their value; quietHours: null turns them off.")
class NotificationPreferencesInput:
    language: str | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET
    quiet_hours: QuietHoursInput | None = strawberry.UNSET
    digest: bool | None = strawberry.UNSET
    digest_at: str | None = strawberry.UNSET
    channels: list[ChannelsForTypeInput] | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET


def _quiet_hours(value: QuietHoursInput | None) -> QuietHours | Keep | None:
    if value is strawberry.UNSET:
        return KEEP
    if value is None:
        return None
    return QuietHours(
        parse_clock(value.start, "quietHours.start"), parse_clock(value.end, "quietHours.end")
    )


def _contact(value: str | None) -> str | Keep | None:
    """Left out: kept; null or empty: removed."""
    return KEEP if value is strawberry.UNSET else (value or None)


def _changes(input: NotificationPreferencesInput) -> PreferenceChanges:
    return PreferenceChanges(
        language=language_of(input.language) if input.language else KEEP,
        time_zone=input.time_zone or KEEP,
        quiet_hours=_quiet_hours(input.quiet_hours),
        digest=input.digest if isinstance(input.digest, bool) else KEEP,
        digest_at=(
            parse_clock(input.digest_at, "digestAt") if isinstance(input.digest_at, str) else KEEP
        ),
        channels={
            NotificationType(item.type): tuple(Channel(c) for c in item.channels)
            for item in input.channels or ()
        },
        email=_contact(input.email),
        phone=_contact(input.phone),
    )


@strawberry.type
class PreferencesQuery:
    @strawberry.field(description="The caller's notification preferences.")
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        me = await remember_caller(info)
        return NotificationPreferences.from_model(await info.context.deps.preferences.get(me))


@strawberry.type
class PreferencesMutation:
    @strawberry.mutation(description="Change the caller's preferences (only the given fields).")
    async def update_notification_preferences(
        self, info: Info, input: NotificationPreferencesInput
    ) -> NotificationPreferences:
        me = await remember_caller(info)
        prefs = await info.context.deps.preferences.update(me, _changes(input))
        return NotificationPreferences.from_model(prefs)
