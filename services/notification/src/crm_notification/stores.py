"""MongoDB adapters for what ADMIN and users configure: rules, templates, preferences, and the
staff directory (provisioned just in time from token claims). Small collections keyed by `_id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.auth import Principal, Role
from crm_kit.mongo import Document, IndexSpec, Session
from crm_notification.cache import TtlCache
from crm_notification.domain import Channel, Language, NotificationType, Template
from crm_notification.preferences import DEFAULT_TIME_ZONE, Preferences, QuietHours, parse_clock
from crm_notification.rules import RecipientKind, RecipientSpec, Rule

RULES = "rules"
TEMPLATES = "templates"
PREFERENCES = "preferences"
STAFF = "staff"

STORE_INDEXES: list[IndexSpec] = [
    IndexSpec(RULES, (IndexModel([("event_type", ASCENDING)], name="event_type"),)),
    IndexSpec(STAFF, (IndexModel([("team", ASCENDING), ("roles", ASCENDING)], name="team_roles"),)),
]


# -- rules --------------------------------------------------------------------------------


def rule_to_document(rule: Rule) -> Document:
    return {
        "_id": rule.id,
        "event_type": rule.event_type,
        "notification_type": str(rule.notification_type),
        "recipients": [{"kind": str(r.kind), "value": r.value} for r in rule.recipients],
        "channels": [str(c) for c in rule.channels],
        "variables": dict(rule.variables),
        "customer_path": rule.customer_path,
        "skip_actor": rule.skip_actor,
        "require_recipient": rule.require_recipient,
        "enabled": rule.enabled,
        "email_customer": rule.email_customer,
    }


def rule_from_document(doc: Document) -> Rule:
    return Rule(
        id=str(doc["_id"]),
        event_type=str(doc["event_type"]),
        notification_type=NotificationType(doc["notification_type"]),
        recipients=tuple(
            RecipientSpec(RecipientKind(r["kind"]), str(r["value"])) for r in doc["recipients"]
        ),
        channels=tuple(Channel(c) for c in doc["channels"]),
        variables={str(k): str(v) for k, v in (doc.get("variables") or {}).items()},
        customer_path=str(doc["customer_path"]) if "customer_path" in doc else "customerId",
        skip_actor=bool(doc.get("skip_actor", True)),
        require_recipient=bool(doc.get("require_recipient", True)),
        enabled=bool(doc.get("enabled", True)),
        email_customer=bool(doc.get("email_customer", False)),
    )


class RuleStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[RULES]
        self._cache: TtlCache[str, list[Rule]] = TtlCache()

    async def stored(
        self, event_type: str | None = None, session: Session | None = None
    ) -> list[Rule]:
        async def load() -> list[Rule]:
            docs = await self._c.find({}, session=session).to_list()
            return [rule_from_document(d) for d in docs]

        rules = await self._cache.get("all", load)
        return [r for r in rules if event_type is None or r.event_type == event_type]

    async def save(self, rule: Rule, by: str, at: datetime) -> None:
        doc = rule_to_document(rule)
        doc.update(updated_by=by, updated_at=at)
        await self._c.replace_one({"_id": rule.id}, doc, upsert=True)
        self._cache.invalidate()


# -- templates ----------------------------------------------------------------------------


def template_key(type: NotificationType, language: Language) -> str:
    return f"{type}:{language}"


class TemplateStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[TEMPLATES]
        self._cache: TtlCache[str, dict[tuple[NotificationType, Language], Template]] = TtlCache()

    async def all(
        self, session: Session | None = None
    ) -> dict[tuple[NotificationType, Language], Template]:
        async def load() -> dict[tuple[NotificationType, Language], Template]:
            found: dict[tuple[NotificationType, Language], Template] = {}
            async for doc in self._c.find({}, session=session):
                found[(NotificationType(doc["type"]), Language(doc["language"]))] = Template(
                    str(doc["title"]), str(doc["body"])
                )
            return found

        return dict(await self._cache.get("all", load))

    async def save(
        self, type: NotificationType, language: Language, template: Template, by: str, at: datetime
    ) -> None:
        doc = {
            "type": str(type),
            "language": str(language),
            "title": template.title,
            "body": template.body,
            "updated_by": by,
            "updated_at": at,
        }
        await self._c.replace_one({"_id": template_key(type, language)}, doc, upsert=True)
        self._cache.invalidate()


# -- preferences --------------------------------------------------------------------------


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


class PreferenceStore:
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


# -- staff directory ----------------------------------------------------------------------


class StaffDirectory:
    """Who exists, their team and roles: recorded from token claims on a user's requests
    (once per process per user), so rules can reach "the team's managers"."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[STAFF]
        self._seen: dict[str, tuple[str, str, tuple[str, ...]]] = {}

    async def remember(self, principal: Principal, at: datetime) -> None:
        roles = tuple(sorted(str(r) for r in principal.roles))
        key = (principal.name, principal.team, roles)
        if self._seen.get(principal.sub) == key:
            return
        await self._c.update_one(
            {"_id": principal.sub},
            {
                "$set": {
                    "name": principal.name,
                    "team": principal.team,
                    "roles": list(roles),
                    "seen_at": at,
                }
            },
            upsert=True,
        )
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[principal.sub] = key

    async def managers_of(self, teams: Sequence[str], session: Session | None = None) -> list[str]:
        if not teams:
            return []
        cursor = self._c.find(
            {"team": {"$in": list(teams)}, "roles": str(Role.MANAGER)}, {"_id": 1}, session=session
        )
        return sorted([str(d["_id"]) async for d in cursor])

    async def known(self, user_ids: Sequence[str], session: Session | None = None) -> set[str]:
        cursor = self._c.find({"_id": {"$in": list(user_ids)}}, {"_id": 1}, session=session)
        return {str(d["_id"]) async for d in cursor}
