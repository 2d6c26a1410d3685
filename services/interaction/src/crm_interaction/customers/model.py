"""The projection of a customer as interaction keeps it: the kit's (`crm_kit.customer_projection`)
and the customer's name. Pure data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit.customer_projection import model as projection
from crm_kit.customer_projection.model import ACTIVE, ARCHIVED, ERASED, MERGED, CustomerMove

__all__ = [
    "ACTIVE",
    "ARCHIVED",
    "ERASED",
    "ERASED_TEXT",
    "MERGED",
    "CustomerMove",
    "CustomerView",
]

ERASED_TEXT = "[erased]"
"""What replaces an erased customer's free text where a value must remain (titles, subjects)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerView(projection.CustomerView):
    """The projection of a customer kept from customer events, with its name."""

    display_name: str
