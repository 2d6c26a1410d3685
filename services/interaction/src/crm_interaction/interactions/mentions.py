"""`@<staff id>` mentions in comments and interaction content (pure).

A mention is `@` at the start of the text or after a character that cannot be part of an
e-mail address's local part, followed by a staff id (letters, digits, `_`, `.`, `-`; what the
identity provider puts in the token's `sub`). `bob@example.com` is therefore not a mention of
`example.com`. Only the ids leave the service (in events); the text stays here.
"""

from __future__ import annotations

import re

MAX_MENTIONS = 20
_MENTION = re.compile(r"(?<![\w.@+-])@([A-Za-z0-9][A-Za-z0-9_.-]{0,63})")


def mentioned(text: str, *, author: str | None = None) -> list[str]:
    """Distinct staff ids mentioned, in order of first appearance, without the author."""
    found: list[str] = []
    for match in _MENTION.finditer(text):
        staff_id = match.group(1).rstrip(".-")
        if staff_id and staff_id != author and staff_id not in found:
            found.append(staff_id)
        if len(found) == MAX_MENTIONS:
            break
    return found
