"""The customer subgraph: the features' queries, mutations and subscription composed."""

from __future__ import annotations

from strawberry.tools import merge_types

from crm_customer.assignment.graphql import AssignmentMutation, AssignmentQuery
from crm_customer.catalog.graphql import CatalogMutation, CatalogQuery
from crm_customer.customers.graphql import CustomerMutation, CustomerQuery
from crm_customer.customers.types import Customer
from crm_customer.duplicates.graphql import DuplicateMutation, DuplicateQuery
from crm_customer.history.graphql import HistoryMutation, HistoryQuery
from crm_customer.i18n import CATALOG
from crm_customer.imports.graphql import ImportMutation, ImportQuery, ImportSubscription
from crm_customer.staff.graphql import ProvisionStaff, StaffMutation, StaffQuery
from crm_customer.viewer.graphql import Viewer, ViewerQuery
from crm_kit.audit.schema import audit_query
from crm_kit.graphql import Schema

QUERIES = (
    CustomerQuery,
    HistoryQuery,
    DuplicateQuery,
    StaffQuery,
    CatalogQuery,
    AssignmentQuery,
    audit_query("customer"),
    ImportQuery,
    ViewerQuery,
)
MUTATIONS = (
    CustomerMutation,
    HistoryMutation,
    DuplicateMutation,
    StaffMutation,
    CatalogMutation,
    AssignmentMutation,
    ImportMutation,
)

schema = Schema(
    query=merge_types("Query", QUERIES),
    mutation=merge_types("Mutation", MUTATIONS),
    subscription=ImportSubscription,
    types=[Customer, Viewer],
    extensions=[ProvisionStaff],
    catalog=CATALOG,  # errors in the caller's language
)
