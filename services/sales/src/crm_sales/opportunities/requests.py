"""What a writer asks of the opportunity use cases, as given (decimal strings, dates as text,
line items unpriced): the service prices the line items in its transaction and turns the rest
into the domain's `Changes`. Frozen and hashable, so a request is its own idempotency
fingerprint. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from crm_kit.errors import BadUserInput
from crm_sales.kanban.model import Card, ordered
from crm_sales.line_items.model import LineItem, LineItemInput
from crm_sales.opportunities.values import Changes, Clear


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """The opportunity's fields a create, an update or a move gives (None: unchanged;
    CLEAR: emptied). `line_items` are priced from `price_book_id` (or the one active book
    in the deal's currency); with line items the amount is their total."""

    name: str | None = None
    amount: str | Clear | None = None
    currency: str | None = None
    expected_close_date: str | Clear | None = None
    next_step: str | Clear | None = None
    source: str | Clear | None = None
    competitors: tuple[str, ...] | None = None
    contacts: tuple[tuple[str, str], ...] | None = None  # (name, BuyingRole name)
    line_items: tuple[LineItemInput, ...] | None = None
    price_book_id: str | None = None
    tags: tuple[str, ...] | None = None
    custom_fields: tuple[tuple[str, str], ...] | None = None
    probability: int | Clear | None = None

    def changes(
        self,
        items: tuple[LineItem, ...] | None,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> Changes:
        """The domain's changes, with the line items as priced (None: unchanged)."""
        return Changes(
            name=self.name,
            amount=self.amount,
            currency=self.currency,
            expected_close_date=self.expected_close_date,
            next_step=self.next_step,
            source=self.source,
            competitors=self.competitors,
            contacts=self.contacts,
            line_items=items,
            tags=self.tags,
            custom_fields=dict(self.custom_fields) if self.custom_fields is not None else None,
            probability=self.probability,
            reason=reason,
            note=note,
        )


@dataclass(frozen=True, slots=True)
class CardPosition:
    """Where a card goes in its column: just above `before_id` or just below `after_id`
    (one of them); no position: the bottom of the column."""

    before_id: str | None = None
    after_id: str | None = None

    def index(self, column: Sequence[Card], card_id: str) -> int:
        """The index among the column's other cards (BAD_USER_INPUT naming
        `position.beforeId` / `position.afterId` for a card not in the column)."""
        others = [card.id for card in ordered(column) if card.id != card_id]
        if (self.before_id is None) == (self.after_id is None):
            raise BadUserInput.single(
                "position", "INVALID", "position names exactly one of beforeId and afterId"
            )
        neighbour = self.before_id or self.after_id or ""
        if neighbour not in others:
            name = "position.beforeId" if self.before_id else "position.afterId"
            raise BadUserInput.single(
                name, "NOT_IN_STAGE", f"{neighbour} is not a card of the target stage"
            )
        at = others.index(neighbour)
        return at if self.before_id else at + 1


@dataclass(frozen=True, slots=True)
class CreateRequest:
    customer_id: str
    name: str
    pipeline_id: str
    stage_id: str | None = None
    owner_id: str | None = None
    team: str | None = None
    fields: ChangeRequest = field(default_factory=ChangeRequest)
    reason: str | None = None  # created straight into a won or lost stage (an import)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class MoveRequest:
    """A move into another stage (won and lost included) with the fields the stage needs;
    into its own stage with a position: a reorder within the column. A reopen (`reopen`)
    takes a closed deal back to an open stage; its `reason` is free text."""

    opportunity_id: str
    stage_id: str
    expected_version: int | None = None
    reason: str | None = None
    note: str | None = None
    position: CardPosition | None = None
    fields: ChangeRequest = field(default_factory=ChangeRequest)
    reopen: bool = False
