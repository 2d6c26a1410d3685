"""The subgraph schema: each feature's root fields, and the `Customer` and `StaffMember`
entities the sales features contribute fields to."""

from __future__ import annotations

from crm_kit.audit.schema import audit_query
from crm_kit.graphql import MUTATION, QUERY, Schema, root_type
from crm_sales.assignment.graphql import AssignmentMutation
from crm_sales.duplicates.graphql import DuplicateQuery
from crm_sales.graphql.customer import Customer
from crm_sales.graphql.staff import StaffMember
from crm_sales.i18n import CATALOG
from crm_sales.kanban.graphql import BoardQuery
from crm_sales.merge.graphql import MergeMutation
from crm_sales.money.graphql import RateMutation, RateQuery
from crm_sales.opportunities.graphql import OpportunityMutation, OpportunityQuery
from crm_sales.opportunities.lists import OpportunityListQuery
from crm_sales.pipelines.graphql import PipelineMutation, PipelineQuery
from crm_sales.products.graphql import ProductMutation, ProductQuery
from crm_sales.reasons.graphql import ReasonMutation, ReasonQuery

Query = root_type(
    "Query",
    (
        OpportunityQuery,
        OpportunityListQuery,
        BoardQuery,
        DuplicateQuery,
        PipelineQuery,
        ReasonQuery,
        RateQuery,
        ProductQuery,
        audit_query("sales"),
    ),
    QUERY,
)
Mutation = root_type(
    "Mutation",
    (
        OpportunityMutation,
        AssignmentMutation,
        MergeMutation,
        PipelineMutation,
        ReasonMutation,
        RateMutation,
        ProductMutation,
    ),
    MUTATION,
)

schema = Schema(
    query=Query,
    mutation=Mutation,
    types=[Customer, StaffMember],
    catalog=CATALOG,  # errors in the caller's language
)
