"""The opportunity snapshot every published opportunity event carries: ids, classification,
stage, amounts (as decimal strings, with the base-currency amount and the rate used),
probability and times. Contact persons, next steps and notes stay in the service (they may
hold personal data)."""

from __future__ import annotations

from typing import Any

from crm_sales.money.model import Conversion, Money
from crm_sales.opportunities.values import Opportunity
from crm_sales.shared.clock import iso


def money(value: Money | None) -> dict[str, str] | None:
    return None if value is None else {"amount": value.text, "currency": value.currency}


def conversion(value: Conversion | None) -> dict[str, Any] | None:
    """The amount in the base currency and the rate it was converted at."""
    if value is None:
        return None
    day = value.rate_effective_from
    return {
        **(money(value.amount) or {}),
        "rate": f"{value.rate:f}",
        "rateEffectiveFrom": day.isoformat() if day else None,
    }


def opportunity(o: Opportunity, probability: int, base: Conversion | None) -> dict[str, Any]:
    return {
        "id": o.id,
        "customerId": o.customer_id,
        "name": o.name,
        "ownerId": o.owner_id,
        "team": o.team,
        "pipelineId": o.pipeline_id,
        "pipelineVersion": o.pipeline_version,
        "stageId": o.stage_id,
        "status": str(o.status),
        "amount": money(o.amount),
        "amountInBase": conversion(base),
        "probability": probability,
        "expectedCloseDate": o.expected_close_date.isoformat() if o.expected_close_date else None,
        "source": o.source,
        "tags": list(o.tags),
        "lineItemCount": len(o.line_items),
        "reopenCount": o.reopen_count,
        "createdBy": o.created_by,
        "createdAt": iso(o.created_at),
        "updatedAt": iso(o.updated_at),
        "version": o.version,
    }
