"""GraphQL types of a user's notification preferences."""

from __future__ import annotations

from typing import Self

import strawberry

from crm_notification.graphql.types import NotificationChannelEnum, NotificationTypeEnum
from crm_notification.preferences import Preferences


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
