"""MongoDB adapter of users' preferences (`_id` = user id), read on every event."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, Session
from crm_notification.channels.model import Channel
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.preferences.model import (
    DEFAULT_TIME_ZONE,
    Preferences,
    QuietHours,
    parse_clock,
)
from crm_notification.shared.cache import TtlCache

PREFERENCES = "preferences"


def preferences_to_document(p: Preferences) -> Document:
    quiet = p.quiet_hours
    return {
        "_id": p.user_id,
        "language": str(p.language),
        "time_zone": p.time_zone,
        "quiet_start": quiet.start.strftime("%H:%M") if quiet else None,
        "quiet_end": quiet.end.strftime("%H:%M") if quiet else None,
        "digest": p.digest,
        "digest_at": p.digest_at.strftime("%H:%M"),
        "channels": {str(t): [str(c) for c in cs] for t, cs in p.channels.items()},
        "email": p.email,
        "phone": p.phone,
    }


def preferences_from_document(doc: Document) -> Preferences:
    start, end = doc.get("quiet_start"), doc.get("quiet_end")
    quiet = (
        QuietHours(parse_clock(start, "quietHours"), parse_clock(end, "quietHours"))
        if start and end
        else None
    )
    return Preferences(
        user_id=str(doc["_id"]),
        language=Language(doc.get("language") or Language.ZH_CN),
        time_zone=str(doc.get("time_zone") or DEFAULT_TIME_ZONE),
        quiet_hours=quiet,
        digest=bool(doc.get("digest")),
        digest_at=parse_clock(str(doc.get("digest_at") or "09:00"), "digestAt"),
        channels={
            NotificationType(t): tuple(Channel(c) for c in cs)
            for t, cs in (doc.get("channels") or {}).items()
            if t in NotificationType.__members__
        },
        email=doc.get("email"),
        phone=doc.get("phone"),
    )


class PreferenceRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[PREFERENCES]
        self._cache: TtlCache[str, Preferences] = TtlCache()

    async def get(self, user_id: str, session: Session | None = None) -> Preferences:
        doc = await self._c.find_one({"_id": user_id}, session=session)
        return preferences_from_document(doc) if doc else Preferences(user_id=user_id)

    async def many(
        self, user_ids: Sequence[str], session: Session | None = None
    ) -> dict[str, Preferences]:
        """Each user's preferences (defaults when none are set), cached for a second."""
        result = {u: p for u in user_ids if (p := self._cache.peek(u)) is not None}
        missing = [u for u in user_ids if u not in result]
        if missing:
            found = {
                str(d["_id"]): preferences_from_document(d)
                async for d in self._c.find({"_id": {"$in": missing}}, session=session)
            }
            for user in missing:
                result[user] = found.get(user) or Preferences(user_id=user)
                self._cache.put(user, result[user])
        return {u: result[u] for u in user_ids}

    async def save(self, prefs: Preferences) -> None:
        await self._c.replace_one(
            {"_id": prefs.user_id}, preferences_to_document(prefs), upsert=True
        )
        self._cache.invalidate(prefs.user_id)
