"""MongoDB adapters of what ADMIN configures: rules and templates (small collections keyed by
`_id`, read on every event through a one-second cache)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session
from crm_notification.channels.model import Channel
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.rules.model import RecipientKind, RecipientSpec, Rule
from crm_notification.rules.templates import Template
from crm_notification.shared.cache import TtlCache

RULES = "rules"
TEMPLATES = "templates"

RULE_INDEXES: list[IndexSpec] = [
    IndexSpec(RULES, (IndexModel([("event_type", ASCENDING)], name="event_type"),)),
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


class RuleRepository:
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


class TemplateRepository:
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
