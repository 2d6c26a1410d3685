"""The projection of a customer as sales keeps it: the kit's
(`crm_kit.customer_projection.model`) and the customer's display name. Pure data, no I/O.

Sales keeps of a customer what it decides with: who owns it and in which team (a new
opportunity's default team, who may read the customer), its lifecycle stage (a lead becomes an
opportunity) and whether it was merged into another or erased — and the display name the
customer events carry (a company's name in full, a person's masked), which a new quote is
addressed to when its writer names no one. No contact details.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit.customer_projection import model as projection
from crm_kit.customer_projection.model import ACTIVE, ARCHIVED, ERASED, MERGED, CustomerMove

__all__ = ["ACTIVE", "ARCHIVED", "ERASED", "MERGED", "CustomerMove", "CustomerView"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerView(projection.CustomerView):
    """The projection of a customer kept from customer events, with its display name."""

    # "" when none is known: a customer only seen in a lifecycle event, one erased, or one
    # projected before sales kept names (filled in by the customer's next snapshot).
    display_name: str = ""
