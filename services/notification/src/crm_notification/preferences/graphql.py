"""The caller's own notification preferences in GraphQL."""

from __future__ import annotations

from typing import Annotated, Self

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

_CHANNELS = (
    "IN_APP, EMAIL or SMS (WEBHOOK is not a personal channel). One that cannot reach the user "
    "(EMAIL without `email`, SMS without `phone`) is skipped; when none can, the in-app inbox "
    "takes the notice. An empty list: the user is not told of this type at all."
)
_KEPT = " Left out or null: kept."
_BAD = " Else BAD_USER_INPUT ({})."


@strawberry.type(
    description="When e-mail and SMS are held back: they go out when the window ends; the "
    "in-app inbox always fills."
)
class QuietHoursWindow:
    start: str = strawberry.field(description="HH:MM in the user's time zone")
    end: str = strawberry.field(description="HH:MM; earlier than start = spans midnight")


@strawberry.type(description="The user's own choice of channels for one notification type.")
class ChannelsForType:
    type: NotificationTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description="The notification type."
    )
    channels: list[NotificationChannelEnum] = strawberry.field(  # type: ignore[valid-type]
        description=_CHANNELS
    )


@strawberry.type(description="How and when the caller wants to be told.")
class NotificationPreferences:
    language: str = strawberry.field(description="zh-CN (default) or en")
    time_zone: str = strawberry.field(
        description="An IANA time zone (Asia/Shanghai by default): quiet hours and digestAt "
        "are read in it, and times in notices are shown in it."
    )
    quiet_hours: QuietHoursWindow | None = strawberry.field(
        description="When e-mail and SMS are held back; null (the default): never."
    )
    digest: bool = strawberry.field(
        description="Emails come as ONE combined mail per day at digestAt (local time)."
    )
    digest_at: str = strawberry.field(description="HH:MM in the user's time zone (09:00)")
    channels: list[ChannelsForType] = strawberry.field(
        description="The types the user chose channels for; any other type goes out on the "
        "personal channels its rule names."
    )
    email: str | None = strawberry.field(
        description="Where e-mail notices and the digest go; null: the user gets no e-mail."
    )
    phone: str | None = strawberry.field(
        description="Where SMS notices go; null: the user gets no SMS."
    )

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


@strawberry.input(description="A daily window in which e-mail and SMS are held back.")
class QuietHoursInput:
    start: str = strawberry.field(
        description="HH:MM (24-hour) in the user's time zone."
        + _BAD.format("`quietHours.start` INVALID_TIME")
    )
    end: str = strawberry.field(
        description="HH:MM (24-hour); earlier than start: the window spans midnight; equal to "
        "start: no quiet hours." + _BAD.format("`quietHours.end` INVALID_TIME")
    )


@strawberry.input(description="The channels the user wants for one notification type.")
class ChannelsForTypeInput:
    type: NotificationTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description="The notification type."
    )
    channels: list[NotificationChannelEnum] = strawberry.field(  # type: ignore[valid-type]
        description=_CHANNELS + _BAD.format("`channels` NOT_PERSONAL for WEBHOOK")
    )


@strawberry.input(description="Fields left out keep their value; quietHours: null turns them off.")
class NotificationPreferencesInput:
    language: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="zh-CN or en: the language notices are rendered in."
        + _KEPT
        + _BAD.format("`language` UNSUPPORTED"),
    )
    time_zone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="An IANA time zone name, e.g. Asia/Shanghai."
        + _KEPT
        + _BAD.format("`timeZone` UNKNOWN_TIME_ZONE"),
    )
    quiet_hours: QuietHoursInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The quiet-hours window; null turns quiet hours off; left out: kept.",
    )
    digest: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="true: e-mail notices come as one combined mail per day at digestAt." + _KEPT,
    )
    digest_at: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="HH:MM (24-hour) in the user's time zone."
        + _KEPT
        + _BAD.format("`digestAt` INVALID_TIME"),
    )
    channels: list[ChannelsForTypeInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Channels per type: each type listed gets exactly these channels; the "
        "others keep theirs.",
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The e-mail address; null or empty removes it; left out: kept. Without "
        "an `@`: BAD_USER_INPUT (`email` INVALID_EMAIL).",
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The phone number for SMS (not checked); null or empty removes it; left "
        "out: kept.",
    )


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
    @strawberry.mutation(
        description="Change the caller's own preferences (only the given fields); answers them "
        "all. Errors: BAD_USER_INPUT (`language` UNSUPPORTED; `timeZone` UNKNOWN_TIME_ZONE; "
        "`quietHours.start`, `quietHours.end`, `digestAt` INVALID_TIME; `channels` "
        "NOT_PERSONAL; `email` INVALID_EMAIL)."
    )
    async def update_notification_preferences(
        self,
        info: Info,
        input: Annotated[
            NotificationPreferencesInput, strawberry.argument(description="The changes.")
        ],
    ) -> NotificationPreferences:
        me = await remember_caller(info)
        prefs = await info.context.deps.preferences.update(me, _changes(input))
        return NotificationPreferences.from_model(prefs)
