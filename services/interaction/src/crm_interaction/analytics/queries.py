"""Service analytics computed by the database: one `$facet` aggregation over the period's
tickets (volume by type/priority/team, first-response and resolution medians and p90 with
`$percentile`, SLA compliance, weekly satisfaction with `$dateTrunc`, resolutions per agent)
plus one `$group` for the agents' open load. Nothing is loaded into Python but the results.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.analytics import model as analytics
from crm_interaction.tickets.model import OPEN_STATUSES, TicketStatus
from crm_interaction.tickets.store import TICKETS
from crm_kit.mongo import Document

DONE = [str(TicketStatus.RESOLVED), str(TicketStatus.CLOSED)]


def _minutes_since_created(field: str) -> dict[str, Any]:
    return {"$divide": [{"$subtract": [f"${field}", "$createdAt"]}, 60_000]}


def _durations(match: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return [
        {"$match": match},
        {
            "$group": {
                "_id": None,
                "n": {"$sum": 1},
                "p": {
                    "$percentile": {
                        "input": _minutes_since_created(field),
                        "p": [0.5, 0.9],
                        "method": "approximate",
                    }
                },
            }
        },
    ]


def _count_by(expression: Any) -> list[dict[str, Any]]:
    return [{"$group": {"_id": expression, "n": {"$sum": 1}}}]


def pipeline(start: datetime, end: datetime, team: str | None) -> list[dict[str, Any]]:
    match: dict[str, Any] = {"createdAt": {"$gte": start, "$lt": end}}
    if team:
        match["team"] = team
    done = {"$in": ["$status", DONE]}
    breached = {
        "$or": [{"$eq": ["$firstResponseBreached", True]}, {"$eq": ["$resolutionBreached", True]}]
    }
    resolved = {"status": {"$in": DONE}, "resolvedAt": {"$ne": None}}
    return [
        {"$match": match},
        {
            "$facet": {
                "totals": [
                    {
                        "$group": {
                            "_id": None,
                            "n": {"$sum": 1},
                            "evaluated": {"$sum": {"$cond": [{"$or": [done, breached]}, 1, 0]}},
                            "met": {"$sum": {"$cond": [breached, 0, {"$cond": [done, 1, 0]}]}},
                        }
                    }
                ],
                "byType": _count_by("$type"),
                "byPriority": _count_by("$priority"),
                "byTeam": _count_by({"$ifNull": ["$team", ""]}),
                "firstResponse": _durations(
                    {"firstRespondedAt": {"$ne": None}}, "firstRespondedAt"
                ),
                "resolution": _durations(resolved, "resolvedAt"),
                "resolvedBy": [
                    {"$match": {**resolved, "assigneeId": {"$ne": None}}},
                    *_count_by("$assigneeId"),
                ],
                "satisfaction": [
                    {"$match": {"rating": {"$ne": None}, "ratedAt": {"$ne": None}}},
                    {
                        "$group": {
                            "_id": {
                                "$dateTrunc": {
                                    "date": "$ratedAt",
                                    "unit": "week",
                                    "startOfWeek": "monday",
                                }
                            },
                            "sum": {"$sum": "$rating"},
                            "n": {"$sum": 1},
                        }
                    },
                    {"$sort": {"_id": 1}},
                ],
            }
        },
    ]


def _distribution(rows: list[Document]) -> analytics.Distribution:
    if not rows:
        return analytics.Distribution(0, None, None)
    median, p90 = rows[0]["p"]
    return analytics.Distribution(int(rows[0]["n"]), round(median, 2), round(p90, 2))


def _counts(rows: list[Document]) -> dict[str, int]:
    return {str(row["_id"]): int(row["n"]) for row in rows}


def from_facets(facets: Document, load: dict[str, int]) -> analytics.ServiceAnalytics:
    """The `$facet` result (and the agents' open load) as the domain's analytics."""
    totals = facets["totals"][0] if facets["totals"] else {"n": 0, "evaluated": 0, "met": 0}
    resolved_by = _counts(facets["resolvedBy"])
    agents = sorted(set(load) | set(resolved_by))
    return analytics.ServiceAnalytics(
        total=int(totals["n"]),
        by_type=_counts(facets["byType"]),
        by_priority=_counts(facets["byPriority"]),
        by_team=_counts(facets["byTeam"]),
        first_response=_distribution(facets["firstResponse"]),
        resolution=_distribution(facets["resolution"]),
        sla_evaluated=int(totals["evaluated"]),
        sla_met=int(totals["met"]),
        satisfaction=tuple(
            analytics.WeekRating(row["_id"], round(row["sum"] / row["n"], 2), int(row["n"]))
            for row in facets["satisfaction"]
        ),
        agents=tuple(analytics.AgentLoad(a, load.get(a, 0), resolved_by.get(a, 0)) for a in agents),
    )


class AnalyticsQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tickets = db[TICKETS]

    async def service_analytics(
        self, start: datetime, end: datetime, team: str | None
    ) -> analytics.ServiceAnalytics:
        """One `$facet` aggregate over the period's tickets plus the agents' open load."""
        cursor = await self._tickets.aggregate(pipeline(start, end, team))
        [facets] = await cursor.to_list()
        return from_facets(facets, await self.open_by_agent(team))

    async def open_by_agent(self, team: str | None) -> dict[str, int]:
        match: dict[str, Any] = {
            "status": {"$in": [str(s) for s in OPEN_STATUSES]},
            "assigneeId": {"$ne": None},
        }
        if team:
            match["team"] = team
        cursor = await self._tickets.aggregate(
            [{"$match": match}, {"$group": {"_id": "$assigneeId", "n": {"$sum": 1}}}]
        )
        return {str(d["_id"]): int(d["n"]) async for d in cursor}
