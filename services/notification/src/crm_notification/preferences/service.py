"""Preference use cases: a user reads and changes their own preferences."""

from __future__ import annotations

from crm_notification.preferences.model import PreferenceChanges, Preferences, validate
from crm_notification.preferences.store import PreferenceRepository


class PreferenceService:
    def __init__(self, preferences: PreferenceRepository) -> None:
        self._preferences = preferences

    async def get(self, user_id: str) -> Preferences:
        """The user's preferences (the defaults until they change one)."""
        return await self._preferences.get(user_id)

    async def update(self, user_id: str, changes: PreferenceChanges) -> Preferences:
        prefs = validate(changes.applied_to(await self._preferences.get(user_id)))
        await self._preferences.save(prefs)
        return prefs
