"""`opportunity.merged.v1`: a duplicate opportunity was merged into another of the same
customer. `opportunity` is the survivor as the merge left it (picked fields, united line
items); `merged` the merged deal, now status MERGED; `pickedFields` the fields the survivor
took from it (`NAME`, `AMOUNT`, `EXPECTED_CLOSE_DATE`, `NEXT_STEP`, `SOURCE`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TYPE = "opportunity.merged.v1"


def payload(
    survivor: dict[str, Any], merged: dict[str, Any], picked: Sequence[str], actor_id: str
) -> dict[str, Any]:
    return {
        "opportunity": survivor,
        "merged": merged,
        "customerId": survivor["customerId"],
        "survivorId": survivor["id"],
        "mergedId": merged["id"],
        "pickedFields": [str(p) for p in picked],
        "actorId": actor_id,
    }
