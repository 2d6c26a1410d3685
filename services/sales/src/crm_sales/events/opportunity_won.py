"""`opportunity.won.v1`: an opportunity was won, with a reason code from the ADMIN's list;
`amountInBase` is what it was booked at (the amount in the base currency at the rate in
effect on its closing day, and that rate)."""

from __future__ import annotations

from typing import Any

from crm_sales.opportunities.values import Closing
from crm_sales.shared.clock import iso

TYPE = "opportunity.won.v1"


def payload(
    snapshot: dict[str, Any], closing: Closing, booked: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "opportunity": snapshot,
        "customerId": snapshot["customerId"],
        "reason": closing.reason,
        "closedAt": iso(closing.at),
        "amountInBase": booked,
        "actorId": closing.by,
    }
