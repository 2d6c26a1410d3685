"""The opportunity record, its parts and the commands that create and change it. Pure data.

The rules over them are in `fields` (checking what a writer gives), `gate` (what a stage
requires) and `model` (the use cases' domain steps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum, StrEnum

from crm_sales.line_items.model import LineItem
from crm_sales.money.model import BASE_CURRENCY, Money
from crm_sales.pipelines.model import StageKind
from crm_sales.validation import SalesInputError

NAME_MAX_CHARS = 200
NEXT_STEP_MAX_CHARS = 500
SOURCE_MAX_CHARS = 100
COMPETITOR_MAX_CHARS = 100
MAX_COMPETITORS = 20
CONTACT_NAME_MAX_CHARS = 100
MAX_CONTACTS = 50
TAG_MAX_CHARS = 50
MAX_TAGS = 20
MAX_CUSTOM_FIELDS = 50
CUSTOM_VALUE_MAX_CHARS = 1_000
ID_MAX_CHARS = 100
REASON_MAX_CHARS = 100  # a code from the ADMIN's list
REOPEN_REASON_MAX_CHARS = 500  # free text
NOTE_MAX_CHARS = 2_000
TEAM_MAX_CHARS = 100


class OpportunityError(SalesInputError):
    """An opportunity field the rules refuse."""


class StageGateError(OpportunityError):
    """A move the stage gate refuses: each missing or wrong field is named, so a kanban drop
    can prompt for exactly those fields."""


class Status(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"
    MERGED = "MERGED"  # merged into another deal: terminal, listed only on request


STATUS_OF_KIND = {
    StageKind.OPEN: Status.OPEN,
    StageKind.WON: Status.WON,
    StageKind.LOST: Status.LOST,
}


class BuyingRole(StrEnum):
    """A contact person's part in the customer's decision."""

    DECISION_MAKER = "DECISION_MAKER"
    ECONOMIC_BUYER = "ECONOMIC_BUYER"
    CHAMPION = "CHAMPION"
    INFLUENCER = "INFLUENCER"
    TECHNICAL_EVALUATOR = "TECHNICAL_EVALUATOR"
    USER = "USER"
    BLOCKER = "BLOCKER"
    OTHER = "OTHER"


class Clear(Enum):
    """Given for a field of `Changes` to empty it (None leaves it as it is)."""

    CLEAR = "CLEAR"


CLEAR = Clear.CLEAR


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact person of the customer, by the name the customer record gives them."""

    name: str
    role: BuyingRole


@dataclass(frozen=True, slots=True)
class ProbabilityOverride:
    value: int
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Closing:
    """How a won or lost opportunity was closed."""

    reason: str
    note: str | None
    at: datetime
    by: str


@dataclass(frozen=True, slots=True)
class MergedInto:
    """Where a merged deal went: the survivor, when and by whom."""

    survivor_id: str
    at: datetime
    by: str


@dataclass(frozen=True, slots=True)
class CloseReasons:
    """The ADMIN's lists of reason codes a deal may be won or lost for."""

    won: tuple[str, ...]
    lost: tuple[str, ...]

    def for_kind(self, kind: StageKind) -> tuple[str, ...]:
        return self.won if kind is StageKind.WON else self.lost if kind is StageKind.LOST else ()


DEFAULT_CLOSE_REASONS = CloseReasons(
    won=("PRICE", "PRODUCT_FIT", "RELATIONSHIP", "SERVICE", "OTHER"),
    lost=("PRICE", "COMPETITOR", "NO_BUDGET", "NO_DECISION", "TIMING", "PRODUCT_FIT", "OTHER"),
)


@dataclass(frozen=True, slots=True)
class Opportunity:
    id: str
    customer_id: str
    name: str
    owner_id: str
    team: str | None
    pipeline_id: str
    pipeline_version: int
    stage_id: str
    status: Status
    stage_entered_at: datetime
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    currency: str = BASE_CURRENCY  # the deal's currency: its amount's and its line items'
    amount: Money | None = None
    expected_close_date: date | None = None
    next_step: str | None = None
    source: str | None = None
    competitors: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    line_items: tuple[LineItem, ...] = ()
    tags: tuple[str, ...] = ()
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    probability_override: ProbabilityOverride | None = None
    closing: Closing | None = None
    reopen_count: int = 0
    rank: int = 0  # order within its stage's kanban column (kanban.model.place)
    merged_into: MergedInto | None = None  # set once merged (status MERGED)

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN


@dataclass(frozen=True, slots=True)
class Changes:
    """What a writer changes (None: unchanged; CLEAR: emptied). Used by updates, by moves
    (fields given with the move, e.g. the amount a kanban drop prompted for) and by creation.

    Amounts and line items: with line items the amount is their total, so `amount` cannot be
    given beside any; `currency` changes the deal's currency (its amount is re-checked in it,
    and line items in another currency must be replaced in the same change).
    `reason` and `note` belong to a move into a won or lost stage."""

    name: str | None = None
    amount: object | Clear = None
    currency: str | None = None
    expected_close_date: date | str | Clear | None = None
    next_step: str | Clear | None = None
    source: str | Clear | None = None
    competitors: tuple[str, ...] | None = None
    contacts: tuple[tuple[str, str], ...] | None = None  # (name, BuyingRole) as given
    line_items: tuple[LineItem, ...] | None = None  # priced by line_items.price_lines
    tags: tuple[str, ...] | None = None
    custom_fields: Mapping[str, str] | None = None  # the whole map; blank values are dropped
    probability: int | Clear | None = None  # CLEAR: back to the stage's default
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class NewOpportunity:
    """`createOpportunity`, a converted lead or an import row; `stage_id` None is the
    pipeline's first stage. Everything else an opportunity holds comes in `changes`."""

    customer_id: str
    name: str
    owner_id: str
    pipeline_id: str
    team: str | None = None
    stage_id: str | None = None
    changes: Changes = field(default_factory=Changes)
