from __future__ import annotations

from crm_kit.graphql import Schema
from crm_notification.graphql.resolvers import Mutation, Query
from crm_notification.graphql.types import Customer

schema = Schema(query=Query, mutation=Mutation, types=[Customer])
