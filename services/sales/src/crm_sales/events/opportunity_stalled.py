"""`opportunity.stalled.v1`: an open opportunity has stayed in its stage past the stage's stall
threshold (`stallDays`). Published once per stay in a stage by the stall watch (crm_sales/stalls):
never again for the same stay, again when the deal moves and stalls in another stage (or in the
same one after a move back). No actor: the watch found it."""

from __future__ import annotations

from typing import Any

from crm_sales.shared.clock import iso
from crm_sales.stalls.model import Stall

TYPE = "opportunity.stalled.v1"


def payload(snapshot: dict[str, Any], stall: Stall) -> dict[str, Any]:
    stage = stall.stage
    return {
        "opportunity": snapshot,
        "customerId": snapshot["customerId"],
        "stage": {
            "id": stage.id,
            "nameZh": stage.name_zh,
            "nameEn": stage.name_en,
            "stallDays": stall.stall_days,
        },
        "stageEnteredAt": iso(stall.stay.entered_at),
        "stalledAt": iso(stall.stalled_at),
        "detectedAt": iso(stall.detected_at),
    }
