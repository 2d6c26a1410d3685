from __future__ import annotations

from strawberry.tools import merge_types

from crm_customer.graphql.catalog_resolvers import CatalogMutation, CatalogQuery
from crm_customer.graphql.import_resolvers import ImportMutation, ImportQuery, ImportSubscription
from crm_customer.graphql.language import LocaliseErrors
from crm_customer.graphql.resolvers import Mutation, Query
from crm_customer.graphql.reveal import RevealMutation
from crm_customer.graphql.staff import ProvisionStaff, StaffMutation, StaffQuery
from crm_customer.graphql.types import Customer
from crm_kit.audit.schema import audit_query
from crm_kit.graphql import Schema

# LocaliseErrors is listed first, so its exit runs after crm_kit's error masking.
schema = Schema(
    query=merge_types(
        "Query", (Query, StaffQuery, CatalogQuery, audit_query("customer"), ImportQuery)
    ),
    mutation=merge_types(
        "Mutation", (Mutation, StaffMutation, CatalogMutation, ImportMutation, RevealMutation)
    ),
    subscription=ImportSubscription,
    types=[Customer],
    extensions=[LocaliseErrors, ProvisionStaff],
)
