"""What the resolvers reach through `info.context.deps`: each feature's use cases
(`<Thing>Service`) and read side (`<Thing>Queries`), built once by `app.create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import strawberry

from crm_interaction.analytics.queries import AnalyticsQueries
from crm_interaction.customers.queries import CustomerQueries
from crm_interaction.insight.queries import InsightQueries
from crm_interaction.interactions.queries import InteractionQueries
from crm_interaction.interactions.service import InteractionService
from crm_interaction.purchases.queries import PurchaseQueries
from crm_interaction.purchases.service import PurchaseService
from crm_interaction.tasks.queries import TaskQueries
from crm_interaction.tasks.service import TaskService
from crm_interaction.tickets.queries import TicketQueries
from crm_interaction.tickets.service import TicketService
from crm_interaction.timeline.queries import TimelineQueries
from crm_kit.graphql import RequestContext


@dataclass(frozen=True, slots=True)
class Features:
    customers: CustomerQueries
    interactions: InteractionService
    interaction_queries: InteractionQueries
    tickets: TicketService
    ticket_queries: TicketQueries
    tasks: TaskService
    task_queries: TaskQueries
    purchases: PurchaseService
    purchase_queries: PurchaseQueries
    timeline: TimelineQueries
    insight: InsightQueries
    analytics: AnalyticsQueries


Context: TypeAlias = RequestContext[Features]  # noqa: UP040 - strawberry inspects it
Info: TypeAlias = strawberry.Info[Context, None]  # noqa: UP040 - strawberry inspects it
