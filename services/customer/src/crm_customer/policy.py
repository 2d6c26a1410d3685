"""Who sees what: the one place that decides masking of sensitive customer fields.

Issue 7 (access control) deepens this; every read path goes through these functions.
"""

from __future__ import annotations

from crm_kit.auth import Principal, Role

IDENTITY_READERS = frozenset({Role.ADMIN})


def may_see_identity(principal: Principal) -> bool:
    return principal.has_role(*IDENTITY_READERS)


def mask_id_card(number: str) -> str:
    """Keep the first 3 and last 4 characters: ``110***********123X``."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def id_card_for(principal: Principal, number: str | None) -> str | None:
    if number is None:
        return None
    return number if may_see_identity(principal) else mask_id_card(number)
