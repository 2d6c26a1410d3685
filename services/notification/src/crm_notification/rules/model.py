"""Notification rules as data: event type → recipients → template (variables) → channels.

Pure: nothing here does I/O. ADMIN edits rules through GraphQL; the defaults (defaults.py)
apply until a rule with the same id is stored. Paths into event data are dotted
(`ticket.assigneeId`) and may list alternatives separated by `|` (`ticket.title|ticket.subject`):
producers' payloads evolve, and a rule should survive a renamed field by naming both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crm_kit.errors import BadUserInput
from crm_notification.channels.model import Channel
from crm_notification.inbox.model import NotificationType


class RecipientKind(StrEnum):
    FIELD = "FIELD"  # the user id found at a path in the event data
    TEAM_MANAGERS = "TEAM_MANAGERS"  # every MANAGER of the team found at a path
    USER = "USER"  # a fixed user id


@dataclass(frozen=True, slots=True)
class RecipientSpec:
    kind: RecipientKind
    value: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    event_type: str
    notification_type: NotificationType
    recipients: tuple[RecipientSpec, ...]
    channels: tuple[Channel, ...] = (Channel.IN_APP,)
    variables: Mapping[str, str] = field(default_factory=dict)
    customer_path: str = "customer.id|customerId"
    skip_actor: bool = True
    require_recipient: bool = True  # no recipient in the data is then a recorded failure
    enabled: bool = True
    # also email the customer (address fetched from the customer service at send time)
    email_customer: bool = False


class MissingField(ValueError):
    """The event lacks a field a rule needs."""


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The first non-empty value among `a.b|c` alternatives; None when none is present."""
    for alternative in path.split("|"):
        node: Any = data
        for part in alternative.strip().split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
            if node is None:
                break
        if node not in (None, ""):
            return node
    return None


def variables_of(rule: Rule, data: Mapping[str, Any], subject: str) -> dict[str, Any]:
    """Template variables from the event data; a missing one raises MissingField."""
    found: dict[str, Any] = {}
    for name, path in rule.variables.items():
        value = lookup(data, path)
        if value is None:
            raise MissingField(f"event data has no {path!r} (template variable {name})")
        found[name] = value
    found.setdefault("customerId", customer_of(rule, data, subject))
    return found


def customer_of(rule: Rule, data: Mapping[str, Any], subject: str) -> str | None:
    """The customer a notice is about; an empty `customer_path` means none (e.g. a job)."""
    if not rule.customer_path:
        return None
    value = lookup(data, rule.customer_path)
    return str(value) if value is not None else (subject or None)


@dataclass(frozen=True, slots=True)
class Targets:
    users: tuple[str, ...]
    teams: tuple[str, ...]  # resolved to their managers by the caller (needs the directory)


def targets_of(rule: Rule, data: Mapping[str, Any]) -> Targets:
    users: list[str] = []
    teams: list[str] = []
    for spec in rule.recipients:
        if spec.kind is RecipientKind.USER:
            users.append(spec.value)
            continue
        value = lookup(data, spec.value)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        bucket = users if spec.kind is RecipientKind.FIELD else teams
        bucket.extend(str(v) for v in values if v not in (None, ""))
    return Targets(tuple(dict.fromkeys(users)), tuple(dict.fromkeys(teams)))


def recipients(rule: Rule, data: Mapping[str, Any], managers: Sequence[str]) -> list[str]:
    """Users to tell, de-duplicated in order; the actor is left out when the rule says so."""
    people = list(dict.fromkeys([*targets_of(rule, data).users, *managers]))
    actor = lookup(data, "actorId")
    if rule.skip_actor and actor is not None:
        people = [p for p in people if p != str(actor)]
    return people


def checked_rule(rule: Rule) -> Rule:
    """`rule` as ADMIN may store it: with recipients, on personal channels only."""
    if not rule.recipients:
        raise BadUserInput.single("recipients", "REQUIRED", "A rule needs recipients")
    if Channel.WEBHOOK in rule.channels:
        raise BadUserInput.single(
            "channels", "NOT_PERSONAL", "WEBHOOK is configured with webhook subscriptions"
        )
    return rule


def merge_rules(defaults: Sequence[Rule], stored: Sequence[Rule]) -> list[Rule]:
    """Stored rules replace defaults with the same id; others are added."""
    by_id = {r.id: r for r in defaults}
    by_id.update({r.id: r for r in stored})
    return list(by_id.values())
