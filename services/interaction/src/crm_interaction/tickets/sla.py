"""SLA targets of tickets: a first-response and a resolution target per priority, counted in
working minutes of a business calendar. Pure data, no I/O (the clock itself runs in
`model`: started at creation, paused while waiting for the customer, breached by `breach`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crm_interaction.tickets.calendar import BusinessCalendar


class Priority(StrEnum):
    URGENT = "URGENT"
    HIGH = "HIGH"
    NORMAL = "NORMAL"
    LOW = "LOW"


class SlaState(StrEnum):
    ON_TRACK = "ON_TRACK"
    PAUSED = "PAUSED"
    BREACHED = "BREACHED"
    MET = "MET"


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "FIRST_RESPONSE"
    RESOLUTION = "RESOLUTION"


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    first_response_minutes: int
    resolution_minutes: int


DEFAULT_POLICIES: dict[Priority, SlaPolicy] = {
    Priority.URGENT: SlaPolicy(30, 4 * 60),
    Priority.HIGH: SlaPolicy(60, 8 * 60),
    Priority.NORMAL: SlaPolicy(4 * 60, 3 * 9 * 60),
    Priority.LOW: SlaPolicy(8 * 60, 5 * 9 * 60),
}


@dataclass(frozen=True, slots=True)
class SlaRules:
    calendar: BusinessCalendar
    policies: dict[Priority, SlaPolicy]

    @classmethod
    def default(cls) -> SlaRules:
        return cls(BusinessCalendar(), dict(DEFAULT_POLICIES))
