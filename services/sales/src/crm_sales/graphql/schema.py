"""The subgraph schema: each feature's root fields, and the `Customer` and `StaffMember`
entities the sales features contribute fields to."""

from __future__ import annotations

from crm_kit.audit.schema import audit_query
from crm_kit.graphql import MUTATION, QUERY, Schema, root_type
from crm_sales.assignment.graphql import AssignmentMutation
from crm_sales.assignment.rules_graphql import (
    AssignmentRuleMutation,
    AssignmentRuleQuery,
    ProvisionSalesStaff,
)
from crm_sales.duplicates.graphql import DuplicateQuery
from crm_sales.forecast.graphql import ForecastMutation, ForecastQuery
from crm_sales.graphql.customer import Customer
from crm_sales.graphql.staff import StaffMember
from crm_sales.i18n import CATALOG
from crm_sales.imports.graphql import ImportMutation, ImportQuery
from crm_sales.kanban.graphql import BoardQuery
from crm_sales.merge.graphql import MergeMutation
from crm_sales.money.graphql import RateMutation, RateQuery
from crm_sales.opportunities.graphql import OpportunityMutation, OpportunityQuery
from crm_sales.opportunities.lists import OpportunityListQuery
from crm_sales.pipelines.graphql import PipelineMutation, PipelineQuery
from crm_sales.point_in_time.graphql import PointInTimeQuery
from crm_sales.products.graphql import ProductMutation, ProductQuery
from crm_sales.quotes.graphql import QuoteMutation, QuoteQuery
from crm_sales.reasons.graphql import ReasonMutation, ReasonQuery
from crm_sales.targets.graphql import TargetMutation, TargetQuery

Query = root_type(
    "Query",
    (
        OpportunityQuery,
        OpportunityListQuery,
        BoardQuery,
        PointInTimeQuery,
        DuplicateQuery,
        AssignmentRuleQuery,
        PipelineQuery,
        ReasonQuery,
        RateQuery,
        ProductQuery,
        QuoteQuery,
        TargetQuery,
        ForecastQuery,
        ImportQuery,
        audit_query("sales"),
    ),
    QUERY,
)
Mutation = root_type(
    "Mutation",
    (
        OpportunityMutation,
        AssignmentMutation,
        AssignmentRuleMutation,
        MergeMutation,
        PipelineMutation,
        ReasonMutation,
        RateMutation,
        ProductMutation,
        QuoteMutation,
        ImportMutation,
        TargetMutation,
        ForecastMutation,
    ),
    MUTATION,
)

schema = Schema(
    query=Query,
    mutation=Mutation,
    types=[Customer, StaffMember],
    catalog=CATALOG,  # errors in the caller's language
    extensions=[ProvisionSalesStaff],  # the staff assignment rules pick from
)
