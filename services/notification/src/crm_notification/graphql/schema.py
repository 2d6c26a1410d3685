"""The notification subgraph: the features' queries, mutations and subscription composed."""

from __future__ import annotations

from crm_kit.audit.schema import audit_query
from crm_kit.graphql import MUTATION, QUERY, Schema, root_type
from crm_notification.deliveries.graphql import DeliveryMutation, DeliveryQuery
from crm_notification.i18n import CATALOG
from crm_notification.inbox.graphql import Customer, Subscription
from crm_notification.inbox.graphql import Mutation as InboxMutation
from crm_notification.inbox.graphql import Query as InboxQuery
from crm_notification.preferences.graphql import PreferencesMutation, PreferencesQuery
from crm_notification.rules.graphql import RuleMutation, RuleQuery
from crm_notification.viewer.graphql import Viewer
from crm_notification.webhooks.graphql import WebhookMutation, WebhookQuery

Query = root_type(
    "Query",
    (
        InboxQuery,
        PreferencesQuery,
        RuleQuery,
        DeliveryQuery,
        WebhookQuery,
        audit_query("notification"),
    ),
    QUERY,
)
Mutation = root_type(
    "Mutation",
    (InboxMutation, PreferencesMutation, RuleMutation, WebhookMutation, DeliveryMutation),
    MUTATION,
)

schema = Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[Customer, Viewer],
    catalog=CATALOG,  # errors in the caller's language
)
