"""The caller's own preferences."""

from __future__ import annotations

import logging
from dataclasses import replace

import strawberry
from pymongo.errors import PyMongoError

from crm_kit.errors import BadUserInput
from crm_notification.domain import Channel, Language, NotificationType
from crm_notification.graphql.context import Info
from crm_notification.graphql.preference_types import (
    NotificationPreferences,
    NotificationPreferencesInput,
)
from crm_notification.preferences import QuietHours, parse_clock, validate

_log = logging.getLogger("crm_notification.graphql")


async def remember_caller(info: Info) -> str:
    """The caller's id; records them in the staff directory (just-in-time provisioning)."""
    principal = info.context.principal
    deps = info.context.deps
    try:
        await deps.staff.remember(principal, deps.clock())
    except PyMongoError:
        _log.warning("staff directory update failed", exc_info=True)
    return principal.sub


def _language(value: str) -> Language:
    try:
        return Language(value)
    except ValueError as exc:
        raise BadUserInput.single("language", "UNSUPPORTED", "Use zh-CN or en") from exc


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
        store = info.context.deps.preferences
        prefs = await store.get(me)
        if input.language:
            prefs = replace(prefs, language=_language(input.language))
        if input.time_zone:
            prefs = replace(prefs, time_zone=input.time_zone)
        if input.quiet_hours is None:
            prefs = replace(prefs, quiet_hours=None)
        elif input.quiet_hours is not strawberry.UNSET:
            quiet = input.quiet_hours
            prefs = replace(
                prefs,
                quiet_hours=QuietHours(
                    parse_clock(quiet.start, "quietHours.start"),
                    parse_clock(quiet.end, "quietHours.end"),
                ),
            )
        if isinstance(input.digest, bool):
            prefs = replace(prefs, digest=input.digest)
        if isinstance(input.digest_at, str):
            prefs = replace(prefs, digest_at=parse_clock(input.digest_at, "digestAt"))
        if input.channels:
            chosen = dict(prefs.channels)
            for item in input.channels:
                chosen[NotificationType(item.type)] = tuple(Channel(c) for c in item.channels)
            prefs = replace(prefs, channels=chosen)
        if input.email is not strawberry.UNSET:
            prefs = replace(prefs, email=input.email or None)
        if input.phone is not strawberry.UNSET:
            prefs = replace(prefs, phone=input.phone or None)
        await store.save(validate(prefs))
        return NotificationPreferences.from_model(prefs)
