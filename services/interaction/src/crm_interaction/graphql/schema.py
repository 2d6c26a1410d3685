"""The subgraph schema: each feature's root fields, and the `Customer` entity the features
contribute fields to."""

from __future__ import annotations

from crm_interaction.access import CustomerFieldAccess
from crm_interaction.analytics.graphql import AnalyticsQuery
from crm_interaction.graphql.customer import Customer
from crm_interaction.i18n import CATALOG
from crm_interaction.interactions.graphql import InteractionMutation, InteractionQuery
from crm_interaction.purchases.graphql import PurchaseMutation
from crm_interaction.tasks.graphql import TaskMutation, TaskQuery
from crm_interaction.tickets.graphql import TicketMutation, TicketQuery
from crm_interaction.tickets.lists import TicketListQuery
from crm_interaction.viewer.graphql import Viewer
from crm_kit.audit.schema import audit_query
from crm_kit.graphql import MUTATION, QUERY, Schema, root_type

Query = root_type(
    "Query",
    (
        InteractionQuery,
        TicketQuery,
        TicketListQuery,
        TaskQuery,
        AnalyticsQuery,
        audit_query("interaction"),
    ),
    QUERY,
)
Mutation = root_type(
    "Mutation", (InteractionMutation, TicketMutation, TaskMutation, PurchaseMutation), MUTATION
)

schema = Schema(
    query=Query,
    mutation=Mutation,
    types=[Customer, Viewer],
    extensions=[CustomerFieldAccess],  # access control on the fields added to Customer
    catalog=CATALOG,  # errors in the caller's language
)
