"""Who may see which notifications. Issue 7 (access control) hardens this; keep it in one place."""

from __future__ import annotations

from crm_kit.auth import Principal, Role

SEES_EVERY_RECIPIENT = (Role.ADMIN, Role.MANAGER)


def customer_notifications_recipient(principal: Principal) -> str | None:
    """Whose notifications about a customer the caller sees: `None` = everyone's."""
    return None if principal.has_role(*SEES_EVERY_RECIPIENT) else principal.sub
