from __future__ import annotations

from crm_customer.graphql.resolvers import Mutation, Query
from crm_customer.graphql.types import Customer
from crm_kit.graphql import Schema

schema = Schema(query=Query, mutation=Mutation, types=[Customer])
