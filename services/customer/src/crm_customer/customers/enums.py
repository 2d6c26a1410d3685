"""GraphQL enums of customers (the model's enums, described for clients)."""

from __future__ import annotations

from crm_customer.customers.filters import CustomerOrderField
from crm_customer.customers.values import (
    CompanySize,
    CustomerKind,
    Gender,
    LifecycleStage,
    PhoneKind,
    Source,
)
from crm_kit.graphql import described_enum

CustomerKindEnum = described_enum(
    CustomerKind,
    name="CustomerKind",
    description="A person or an organisation; set at creation, never changed. It decides which "
    "fields apply: one of the other kind is BAD_USER_INPUT FIELD_NOT_FOR_KIND.",
    values={
        "INDIVIDUAL": "A natural person: gender, birthday and idCardNumber apply.",
        "ENTERPRISE": "An organisation: uscc, industry, companySize and contacts apply.",
    },
)
LifecycleStageEnum = described_enum(
    LifecycleStage,
    name="LifecycleStage",
    description="Where a customer is in the funnel. A stage moves forward (LEAD → PROSPECT → "
    "ACTIVE → VIP, skipping allowed), VIP may fall back to ACTIVE, any stage may become "
    "CHURNED, and CHURNED may return to LEAD, PROSPECT or ACTIVE; any other change is "
    "BAD_USER_INPUT INVALID_TRANSITION.",
    values={
        "LEAD": "A lead: the first stage, and a new customer's default.",
        "PROSPECT": "A prospect: the stage after LEAD.",
        "ACTIVE": "An active customer.",
        "VIP": "A VIP customer.",
        "CHURNED": "Lost. A new customer cannot start churned (INVALID_STAGE).",
    },
)
SourceEnum = described_enum(
    Source,
    name="CustomerSource",
    description="How the customer came to the business.",
    values={
        "ONLINE": "Online channels.",
        "OFFLINE": "Offline channels.",
        "REFERRAL": "Referred by someone: the only source that allows a `referrer`.",
        "EVENT": "An event.",
        "ADVERTISING": "Advertising.",
        "PARTNER": "A partner.",
        "OTHER": "Any other source (`sourceDetail` may say which).",
    },
)
GenderEnum = described_enum(
    Gender,
    name="Gender",
    description="An individual's gender. With an ID-card number it must match the one the "
    "number encodes (GENDER_MISMATCH; UNDISCLOSED always passes); left out, it is taken from "
    "the number.",
    values={
        "MALE": "Male.",
        "FEMALE": "Female.",
        "UNDISCLOSED": "Not disclosed.",
    },
)
CompanySizeEnum = described_enum(
    CompanySize,
    name="CompanySize",
    description="An enterprise's size class.",
    values={
        "MICRO": "A micro enterprise.",
        "SMALL": "A small enterprise.",
        "MEDIUM": "A medium-sized enterprise.",
        "LARGE": "A large enterprise.",
    },
)
CustomerOrderFieldEnum = described_enum(
    CustomerOrderField,
    name="CustomerOrderField",
    description="What the customer list is ordered by: a time, then the customer's id in the "
    "same direction (so records with the same time keep one order across pages).",
    values={
        "CREATED_AT": "When the customer was created (`createdAt`).",
        "UPDATED_AT": "When the customer last changed (`updatedAt`).",
    },
)
PhoneKindEnum = described_enum(
    PhoneKind,
    name="PhoneKind",
    description="MOBILE, LANDLINE (with area code) and SERVICE (400 / 800) are numbers in "
    "mainland China; INTERNATIONAL is any other country's number, of unknown type.",
    values={
        "MOBILE": "A mainland China mobile: +86 and 11 digits (+8613800138000); no extension.",
        "LANDLINE": "A mainland China fixed line: +86, the area code without its trunk 0, the "
        "local number (+862158881234), then any extension after an x.",
        "SERVICE": "A mainland China 400 / 800 number: its 10 digits (4008123456), no +86.",
        "INTERNATIONAL": "A number outside mainland China, in E.164 (+14155552671).",
    },
)
