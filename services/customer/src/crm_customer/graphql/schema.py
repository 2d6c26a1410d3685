from __future__ import annotations

from strawberry.tools import merge_types

from crm_customer.graphql.resolvers import Mutation, Query
from crm_customer.graphql.staff import ProvisionStaff, StaffMutation, StaffQuery
from crm_customer.graphql.types import Customer
from crm_customer.i18n import LocaliseErrors
from crm_kit.graphql import Schema

# LocaliseErrors is listed first, so its exit runs after crm_kit's error masking.
schema = Schema(
    query=merge_types("Query", (Query, StaffQuery)),
    mutation=merge_types("Mutation", (Mutation, StaffMutation)),
    types=[Customer],
    extensions=[LocaliseErrors, ProvisionStaff],
)
