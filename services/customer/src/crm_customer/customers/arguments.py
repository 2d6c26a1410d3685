"""Described GraphQL arguments that the customer operations share, and the lists of errors
their descriptions name."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_customer.customers.list_inputs import CustomerFilterInput

CustomerId = Annotated[strawberry.ID, strawberry.argument(description="The customer's id.")]
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(
        description="The version the change is based on: another current version is a "
        "CONFLICT (with `currentVersion`); null: no check."
    ),
]
Filter = Annotated[
    CustomerFilterInput | None,
    strawberry.argument(
        description="Which customers; null: every one the caller may list (archived ones left out)."
    ),
]
# The errors of an edit of one stored record.
RECORD_ERRORS = (
    "NOT_FOUND, CONFLICT (a stale version, with `currentVersion`; a merged-away record, naming "
    "its survivor as `conflictingId`)"
)
# The field errors of a customer's values (createCustomer, updateCustomer), all at once.
FIELD_ERRORS = (
    "`name` REQUIRED, TOO_LONG; `tier`, `sourceDetail`, `referrer` TOO_LONG; `referrer` "
    "REFERRER_NEEDS_REFERRAL; `tags` INVALID_TAG, TOO_MANY; `phones[i]` INVALID_PHONE; "
    "`emails[i]` INVALID_EMAIL; `phones`, `emails`, `addresses`, `contacts` TOO_MANY; "
    "`wechatId` INVALID_WECHAT_ID; `website` INVALID_URL; `birthday` IMPOSSIBLE_BIRTHDAY, "
    "BIRTHDAY_MISMATCH; `gender` GENDER_MISMATCH; `idCardNumber` INVALID_ID_CARD_FORMAT, "
    "INVALID_ID_CARD_REGION, INVALID_ID_CARD_BIRTHDAY, INVALID_ID_CARD_CHECK_DIGIT; `uscc` "
    "INVALID_USCC_FORMAT, INVALID_USCC_CHECK_CHAR; `industry` INVALID_INDUSTRY; a field of "
    "the other kind FIELD_NOT_FOR_KIND; `addresses[i].province` REQUIRED; "
    "`addresses[i].postalCode` INVALID_POSTAL_CODE; `contacts[i].name` REQUIRED; `contacts` "
    "MULTIPLE_PRIMARY; `customFields.<key>` UNKNOWN_CUSTOM_FIELD, CUSTOM_FIELD_TYPE, "
    "OPTION_NOT_ALLOWED, CUSTOM_FIELD_REQUIRED, TOO_LONG"
)
