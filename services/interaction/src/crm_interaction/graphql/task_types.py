"""GraphQL types for follow-up tasks and purchases."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_interaction.purchases import model as purchases
from crm_interaction.tasks import model as tasks
from crm_kit.graphql import PageInfo

strawberry.enum(tasks.Urgency, description="How urgent a task is")
strawberry.enum(tasks.TaskStatus, description="Task state")
strawberry.enum(tasks.Recurrence, description="How a task repeats once completed")
strawberry.enum(purchases.PurchaseStatus, description="Order state")


@strawberry.type(name="Task", description="A follow-up task")
class TaskType:
    id: strawberry.ID
    customer_id: strawberry.ID
    title: str
    notes: str | None
    assignee_id: str
    due_at: datetime
    urgency: tasks.Urgency
    reminder_offsets: list[int] = strawberry.field(description="Minutes before dueAt")
    status: tasks.TaskStatus
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    version: int
    recurrence: tasks.Recurrence

    @classmethod
    def from_domain(cls, t: tasks.Task) -> TaskType:
        return cls(
            id=strawberry.ID(t.id),
            customer_id=strawberry.ID(t.customer_id),
            title=t.title,
            notes=t.notes,
            assignee_id=t.assignee_id,
            due_at=t.due_at,
            urgency=t.urgency,
            reminder_offsets=list(t.reminder_offsets),
            status=t.status,
            created_by=t.created_by,
            created_at=t.created_at,
            completed_at=t.completed_at,
            version=t.version,
            recurrence=t.recurrence,
        )


@strawberry.type
class TaskEdge:
    cursor: str
    node: TaskType


@strawberry.type(description="Tasks, soonest due first")
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class CreateTaskInput:
    customer_id: strawberry.ID
    title: str
    due_at: datetime
    assignee_id: str | None = strawberry.field(default=None, description="Defaults to the caller")
    notes: str | None = None
    urgency: tasks.Urgency = tasks.Urgency.NORMAL
    reminder_offsets: list[int] | None = strawberry.field(
        default=None, description="Minutes before dueAt to remind (default 60 and 0)"
    )
    recurrence: tasks.Recurrence = strawberry.field(
        default=tasks.Recurrence.NONE,
        description="Completing a recurring task creates the next one",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first task, creates nothing",
    )

    def to_command(self) -> tasks.NewTask:
        return tasks.NewTask(
            customer_id=str(self.customer_id),
            title=self.title,
            due_at=self.due_at,
            assignee_id=self.assignee_id,
            notes=self.notes,
            urgency=self.urgency,
            reminder_offsets=tuple(self.reminder_offsets)
            if self.reminder_offsets is not None
            else None,
            recurrence=self.recurrence,
        )


@strawberry.input(description="What to change on an OPEN task; omitted fields stay as they are")
class UpdateTaskInput:
    title: str | None = None
    notes: str | None = None
    due_at: datetime | None = strawberry.field(
        default=None, description="Moves the reminders and the overdue check"
    )
    urgency: tasks.Urgency | None = None
    reminder_offsets: list[int] | None = strawberry.field(
        default=None, description="Minutes before dueAt; replaces the current reminders"
    )
    assignee_id: str | None = None

    def to_changes(self) -> tasks.TaskChanges:
        return tasks.TaskChanges(
            title=self.title,
            notes=self.notes,
            due_at=self.due_at,
            urgency=self.urgency,
            reminder_offsets=tuple(self.reminder_offsets)
            if self.reminder_offsets is not None
            else None,
            assignee_id=self.assignee_id,
        )


@strawberry.type(description="An amount of money: exact decimal string plus ISO 4217 code")
class Money:
    amount: str
    currency: str


@strawberry.type(name="PurchaseItem")
class PurchaseItemType:
    sku: str
    name: str
    quantity: int
    unit_price: Money


@strawberry.type(name="Purchase", description="An order / purchase by the customer")
class PurchaseType:
    id: strawberry.ID
    customer_id: strawberry.ID
    order_number: str
    items: list[PurchaseItemType]
    amount: Money
    status: purchases.PurchaseStatus
    purchased_at: datetime
    source: str
    external_id: str
    recorded_at: datetime
    version: int

    @classmethod
    def from_domain(cls, p: purchases.Purchase) -> PurchaseType:
        return cls(
            id=strawberry.ID(p.id),
            customer_id=strawberry.ID(p.customer_id),
            order_number=p.order_number,
            items=[
                PurchaseItemType(
                    sku=i.sku,
                    name=i.name,
                    quantity=i.quantity,
                    unit_price=Money(amount=str(i.unit_price), currency=p.currency),
                )
                for i in p.items
            ],
            amount=Money(amount=str(p.amount), currency=p.currency),
            status=p.status,
            purchased_at=p.purchased_at,
            source=p.source,
            external_id=p.external_id,
            recorded_at=p.recorded_at,
            version=p.version,
        )


@strawberry.type
class RecordPurchasePayload:
    purchase: PurchaseType
    changed: bool = strawberry.field(description="false when this was a replay of the same data")


@strawberry.input
class PurchaseItemInput:
    sku: str
    name: str = ""
    quantity: int = 1
    unit_price: str = strawberry.field(description="Decimal string in the order's currency")


@strawberry.input
class RecordPurchaseInput:
    customer_id: strawberry.ID
    order_number: str
    amount: str = strawberry.field(description='Decimal string, e.g. "1299.00"')
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY")
    purchased_at: datetime
    source: str = strawberry.field(description="The system the order comes from, e.g. erp")
    external_id: str = strawberry.field(description="The order's id in that system")
    status: purchases.PurchaseStatus = purchases.PurchaseStatus.PAID
    items: list[PurchaseItemInput] | None = None

    def to_command(self) -> purchases.RecordPurchase:
        return purchases.RecordPurchase(
            customer_id=str(self.customer_id),
            order_number=self.order_number,
            amount=self.amount,
            currency=self.currency,
            purchased_at=self.purchased_at,
            source=self.source,
            external_id=self.external_id,
            status=self.status,
            items=tuple((i.sku, i.name, i.quantity, i.unit_price) for i in self.items or ()),
        )
