"""Customer master data values (pure): the enums, value objects and limits of a record."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CustomerKind(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    ENTERPRISE = "ENTERPRISE"


class LifecycleStage(StrEnum):
    LEAD = "LEAD"
    PROSPECT = "PROSPECT"
    ACTIVE = "ACTIVE"
    VIP = "VIP"
    CHURNED = "CHURNED"


class Source(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    REFERRAL = "REFERRAL"
    EVENT = "EVENT"
    ADVERTISING = "ADVERTISING"
    PARTNER = "PARTNER"
    OTHER = "OTHER"


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNDISCLOSED = "UNDISCLOSED"


class PhoneKind(StrEnum):
    """What a phone number is (`validators.parse_phone` decides it from the number)."""

    MOBILE = "MOBILE"  # a mainland China mobile
    LANDLINE = "LANDLINE"  # a mainland China fixed line, with its area code
    SERVICE = "SERVICE"  # a mainland China 400 / 800 service number
    INTERNATIONAL = "INTERNATIONAL"  # a number outside mainland China: its type is not known


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number in its normal form (see `validators`) and what kind of number it is."""

    number: str
    kind: PhoneKind


class CompanySize(StrEnum):
    MICRO = "MICRO"
    SMALL = "SMALL"
    MEDIUM = "MEDIUM"
    LARGE = "LARGE"


_FORWARD = [LifecycleStage.LEAD, LifecycleStage.PROSPECT, LifecycleStage.ACTIVE, LifecycleStage.VIP]
# The funnel in its forward order (CHURNED is outside it).
FUNNEL: tuple[LifecycleStage, ...] = tuple(_FORWARD)

# A customer moves forward through the funnel (skipping allowed), VIP can fall back to ACTIVE,
# anyone can churn, and a churned customer can be won back as a lead, prospect or active.
ALLOWED_TRANSITIONS: dict[LifecycleStage, frozenset[LifecycleStage]] = {
    stage: frozenset(_FORWARD[i + 1 :]) | {LifecycleStage.CHURNED}
    for i, stage in enumerate(_FORWARD)
}
ALLOWED_TRANSITIONS[LifecycleStage.VIP] |= {LifecycleStage.ACTIVE}
ALLOWED_TRANSITIONS[LifecycleStage.CHURNED] = frozenset(
    {LifecycleStage.LEAD, LifecycleStage.PROSPECT, LifecycleStage.ACTIVE}
)

MAX_NAME = 200
MAX_TEXT = 200
MAX_TAGS = 50
MAX_TAG = 40
MAX_LIST = 10

INDIVIDUAL_ONLY = ("gender", "birthday", "id_card_number")
ENTERPRISE_ONLY = ("uscc", "industry", "company_size", "contacts")


@dataclass(frozen=True, slots=True)
class Address:
    province: str
    city: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""


@dataclass(frozen=True, slots=True)
class ContactPerson:
    name: str
    title: str = ""
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    primary: bool = False
