from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from crm_kit.audit.schema import audit_query
from crm_kit.graphql import Schema
from crm_notification.graphql.admin_resolvers import AdminMutation, AdminQuery
from crm_notification.graphql.preference_resolvers import PreferencesMutation, PreferencesQuery
from crm_notification.graphql.resolvers import Mutation as InboxMutation
from crm_notification.graphql.resolvers import Query as InboxQuery
from crm_notification.graphql.subscription import Subscription
from crm_notification.graphql.types import Customer


@strawberry.type
class Query(InboxQuery, PreferencesQuery, AdminQuery):
    pass


@strawberry.type
class Mutation(InboxMutation, PreferencesMutation, AdminMutation):
    pass


schema = Schema(
    query=merge_types("Query", (Query, audit_query("notification"))),
    mutation=Mutation,
    subscription=Subscription,
    types=[Customer],
)
