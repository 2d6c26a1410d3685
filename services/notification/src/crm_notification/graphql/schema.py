"""The notification subgraph: the features' queries, mutations and subscription composed."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from crm_kit.audit.schema import audit_query
from crm_kit.graphql import Schema
from crm_notification.deliveries.graphql import DeliveryMutation, DeliveryQuery
from crm_notification.inbox.graphql import Customer, Subscription
from crm_notification.inbox.graphql import Mutation as InboxMutation
from crm_notification.inbox.graphql import Query as InboxQuery
from crm_notification.preferences.graphql import PreferencesMutation, PreferencesQuery
from crm_notification.rules.graphql import RuleMutation, RuleQuery
from crm_notification.viewer.graphql import Viewer
from crm_notification.webhooks.graphql import WebhookMutation, WebhookQuery


@strawberry.type
class Query(InboxQuery, PreferencesQuery, RuleQuery, DeliveryQuery, WebhookQuery):
    pass


@strawberry.type
class Mutation(InboxMutation, PreferencesMutation, RuleMutation, WebhookMutation, DeliveryMutation):
    pass


schema = Schema(
    query=merge_types("Query", (Query, audit_query("notification"))),
    mutation=Mutation,
    subscription=Subscription,
    types=[Customer, Viewer],
)
