"""When two opportunities look like the same deal (pure, no I/O).

Two open deals of the same customer are possible duplicates when their names match after
normalisation: Unicode compatibility folding (full-width letters, digits and punctuation read
as their ASCII forms: "ＣＲＭ升级" is "CRM升级"), case folding, and every space, punctuation
mark and symbol dropped ("CRM 升级（二期）" and "crm升级二期" match). The idea is the customer
service's `name_key`, without its company suffixes: a deal's name is not a company's.

A name that is only spaces and punctuation has no key (never a duplicate of anything).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Unicode general categories dropped from a key: punctuation, symbols, separators, controls.
_DROPPED = ("P", "S", "Z", "C")


def name_key(name: str) -> str:
    """The name as duplicates compare it (see the module's description); "" for none."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(c for c in folded if not unicodedata.category(c).startswith(_DROPPED))


@dataclass(frozen=True, slots=True)
class Named:
    """What duplicate detection reads of a deal."""

    id: str
    customer_id: str
    name: str


def groups(deals: Iterable[Named]) -> list[tuple[str, ...]]:
    """The ids of deals that match one another, per customer and name key (groups of two or
    more, each in the order given; groups in the order of their first deal)."""
    found: dict[tuple[str, str], list[str]] = {}
    for deal in deals:
        key = name_key(deal.name)
        if key:
            found.setdefault((deal.customer_id, key), []).append(deal.id)
    return [tuple(ids) for ids in found.values() if len(ids) > 1]
