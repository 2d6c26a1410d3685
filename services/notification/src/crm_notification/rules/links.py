"""Where a notice leads (pure): the client route of what it is about, by notice type, filled
from the notice's template variables. A type without a route, or variables without what its
route needs (an ADMIN rule sending the type for another event), give a notice without a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from crm_notification.inbox.model import NotificationType
from crm_notification.rules.templates import TemplateError, fill

OPPORTUNITY = "/opportunities/{opportunityId}"

LINKS: Mapping[NotificationType, str] = {
    NotificationType.OPPORTUNITY_ASSIGNED: OPPORTUNITY,
    NotificationType.OPPORTUNITY_STALLED: OPPORTUNITY,
    NotificationType.OPPORTUNITY_WON: OPPORTUNITY,
    NotificationType.OPPORTUNITY_LOST: OPPORTUNITY,
}


def link_for(type: NotificationType, variables: Mapping[str, Any]) -> str | None:
    """The route of a notice of `type`, its ids escaped as one path segment each; or None."""
    route = LINKS.get(type)
    if route is None:
        return None
    escaped = {name: quote(str(value), safe="") for name, value in variables.items()}
    try:
        return fill(route, escaped)
    except TemplateError:
        return None
