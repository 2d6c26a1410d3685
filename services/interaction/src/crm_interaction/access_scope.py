"""The ticket access scope as a MongoDB condition (a value object the read side can hold
without importing the access rules, see `crm_interaction.access`)."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit.mongo import Document


@dataclass(frozen=True, slots=True)
class TicketAccess:
    """The ticket scope as a MongoDB condition (hashable: it is part of list/count keys)."""

    user: str
    team: str | None
    customer_ids: tuple[str, ...]

    def condition(self) -> Document:
        either: list[Document] = [{"assigneeId": {"$eq": self.user}}]
        if self.team:
            either.append({"team": {"$eq": self.team}})
        if self.customer_ids:
            either.append({"customerId": {"$in": list(self.customer_ids)}})
        return {"$or": either}
