"""GraphQL type of an opportunity and its connection (its parts: `parts`; the inputs:
`inputs`; the lists: `lists`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.errors import NotFound
from crm_kit.graphql import PageAfter, PageFirst, PageInfo, page_info
from crm_kit.paging import page_size
from crm_kit.personal_types import PersonName
from crm_kit.policy import Action
from crm_sales import access
from crm_sales.assignment.rules_graphql import assigned_by
from crm_sales.assignment.rules_types import OpportunityAssignedBy
from crm_sales.graphql import loaders
from crm_sales.graphql.common import MoneyType, money_of
from crm_sales.graphql.context import Info
from crm_sales.graphql.refs import CustomerEntity, StaffEntity, customer_ref, staff_ref
from crm_sales.history import graphql as history_loaders
from crm_sales.history import model as history
from crm_sales.history.queries import FIELD_ORDER, STAGE_ORDER
from crm_sales.opportunities import model
from crm_sales.opportunities.parts import (
    AllowedMove,
    BaseAmountType,
    ClosingType,
    ContactType,
    CustomFieldType,
    FieldChangeConnection,
    FieldChangeEdge,
    FieldChangeType,
    LineItemType,
    ProbabilityOverrideType,
    StageChangeConnection,
    StageChangeEdge,
    StageChangeType,
    StageDuration,
)
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.opportunities.values import Opportunity, Status
from crm_sales.pipelines.graphql import PipelineStageType, PipelineType
from crm_sales.pipelines.model import Pipeline
from crm_sales.quotes.types import QuoteConnection, opportunity_quotes
from crm_sales.shared.clock import day_of
from crm_sales.win_probability.graphql import WinProbability, win_probability


async def _pipeline(info: Info, o: Opportunity) -> Pipeline | None:
    return await loaders.pipeline_of(info, o.pipeline_id, o.pipeline_version, o.stage_id)


def _records(info: Info) -> DataLoader[str, OpportunityRecord | None]:
    queries = info.context.deps.opportunity_queries

    async def load(ids: list[str]) -> list[OpportunityRecord | None]:
        found = await queries.get_many(ids)
        return [found.get(i) for i in ids]

    return info.context.loader("sales.opportunities", load)


@strawberry.federation.type(
    name="Opportunity",
    keys=["id"],
    description="A sales opportunity (a deal) of a customer; reachable by global id through "
    "`node` for whoever may read it.",
)
class OpportunityType:
    id: strawberry.ID = strawberry.field(description="The opportunity's id.")
    customer_id: strawberry.ID = strawberry.field(description="Its customer (see `customer`).")
    name: str = strawberry.field(description="Its name.")
    owner_id: strawberry.ID = strawberry.field(description="Staff id of its owner (see `owner`).")
    team: str | None = strawberry.field(description="Its team; null when none.")
    pipeline_id: strawberry.ID = strawberry.field(description="Its pipeline.")
    pipeline_version: int = strawberry.field(
        description="The pipeline version of its last stage move."
    )
    stage_id: strawberry.ID = strawberry.field(description="Its stage (see `stage`).")
    status: Status = strawberry.field(description="Open, won or lost: its stage's kind.")
    stage_entered_at: datetime = strawberry.field(description="When it entered its stage.")
    currency: str = strawberry.field(description="The deal's currency (its amount's, its lines').")
    amount: MoneyType | None = strawberry.field(
        description="The amount (with line items: their total); null when not given."
    )
    expected_close_date: date | None = strawberry.field(
        description="When it is expected to close; null when not given."
    )
    next_step: str | None = strawberry.field(description="The next step; null when none.")
    source: str | None = strawberry.field(description="Where it came from; null when unknown.")
    competitors: list[str] = strawberry.field(description="Competitors in the deal.")
    contacts: list[ContactType] = strawberry.field(
        description="The customer's people in the deal and their parts (names masked for roles "
        "that may not see names)."
    )
    line_items: list[LineItemType] = strawberry.field(description="Its priced lines.")
    tags: list[str] = strawberry.field(description="Its tags.")
    custom_fields: list[CustomFieldType] = strawberry.field(description="Custom field values.")
    probability_override: ProbabilityOverrideType | None = strawberry.field(
        description="A probability set by a person instead of the stage's; null: the stage's."
    )
    closing: ClosingType | None = strawberry.field(
        description="How it was won or lost; null while open."
    )
    reopen_count: int = strawberry.field(description="How often it was reopened.")
    merged_into_id: strawberry.ID | None = strawberry.field(
        description="Status MERGED: the deal it was merged into (see `mergedInto`); else null."
    )
    merged_at: datetime | None = strawberry.field(
        description="Status MERGED: when it was merged; else null."
    )
    created_by: strawberry.ID = strawberry.field(description="Staff id of who opened it.")
    created_at: datetime = strawberry.field(description="When it was opened.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(
        description="1 when opened, +1 per change: the `expectedVersion` of the next change."
    )
    record: strawberry.Private[OpportunityRecord]

    @classmethod
    def of(cls, record: OpportunityRecord) -> OpportunityType:
        o = record.opportunity
        override, closing = o.probability_override, o.closing
        return cls(
            id=strawberry.ID(o.id),
            customer_id=strawberry.ID(o.customer_id),
            name=o.name,
            owner_id=strawberry.ID(o.owner_id),
            team=o.team,
            pipeline_id=strawberry.ID(o.pipeline_id),
            pipeline_version=o.pipeline_version,
            stage_id=strawberry.ID(o.stage_id),
            status=o.status,
            stage_entered_at=o.stage_entered_at,
            currency=o.currency,
            amount=money_of(o.amount),
            expected_close_date=o.expected_close_date,
            next_step=o.next_step,
            source=o.source,
            competitors=list(o.competitors),
            contacts=[ContactType(name=PersonName(c.name), role=c.role) for c in o.contacts],
            line_items=[LineItemType.of(item) for item in o.line_items],
            tags=list(o.tags),
            custom_fields=[
                CustomFieldType(key=k, value=v) for k, v in sorted(o.custom_fields.items())
            ],
            probability_override=None
            if override is None
            else ProbabilityOverrideType(
                value=override.value, set_by_id=strawberry.ID(override.by), set_at=override.at
            ),
            closing=None
            if closing is None
            else ClosingType(
                reason=closing.reason,
                note=closing.note,
                closed_at=closing.at,
                closed_by_id=strawberry.ID(closing.by),
            ),
            reopen_count=o.reopen_count,
            merged_into_id=strawberry.ID(o.merged_into.survivor_id) if o.merged_into else None,
            merged_at=o.merged_into.at if o.merged_into else None,
            created_by=strawberry.ID(o.created_by),
            created_at=o.created_at,
            updated_at=o.updated_at,
            version=o.version,
            record=record,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> OpportunityType:
        """By key, for `node` and other subgraphs: NOT_FOUND, or FORBIDDEN outside the caller's
        read scope (a batch of references is one query)."""
        found = await _records(info).load(str(id))
        if found is None:
            raise NotFound("Opportunity", str(id))
        access.require(info.context.principal, Action.READ, found.opportunity)
        return cls.of(found)

    @strawberry.field(
        description="Status MERGED: the deal it was merged into, when the caller may read it; "
        "else null."
    )
    async def merged_into(self, info: Info) -> OpportunityType | None:
        if self.merged_into_id is None:
            return None
        found = await _records(info).load(str(self.merged_into_id))
        readable = found is not None and access.can(
            info.context.principal, Action.READ, found.opportunity
        )
        return OpportunityType.of(found) if found is not None and readable else None

    @strawberry.field(description="The customer (resolved by the customer subgraph).")
    def customer(self) -> CustomerEntity:
        return customer_ref(str(self.customer_id))

    @strawberry.field(description="Its owner (resolved by the customer subgraph).")
    def owner(self) -> StaffEntity | None:
        return staff_ref(str(self.owner_id))

    @strawberry.field(description="Who opened it (resolved by the customer subgraph).")
    def creator(self) -> StaffEntity | None:
        return staff_ref(str(self.created_by))

    @strawberry.field(description="Its pipeline at the current version.")
    async def pipeline(self, info: Info) -> PipelineType | None:
        found = await loaders.pipelines(info).load(str(self.pipeline_id))
        return PipelineType.of(found) if found is not None else None

    @strawberry.field(
        description="Its stage's definition (from the version it was moved under when the "
        "current pipeline no longer has the stage)."
    )
    async def stage(self, info: Info) -> PipelineStageType | None:
        o = self.record.opportunity
        pipeline = await _pipeline(info, o)
        found = pipeline.find(o.stage_id) if pipeline is not None else None
        return PipelineStageType.of(found) if found is not None else None

    @strawberry.field(
        description="The win probability in effect, a whole percent: won 100, lost 0, else "
        "the override, else the stage's default."
    )
    async def probability(self, info: Info) -> int:
        o = self.record.opportunity
        pipeline = await _pipeline(info, o)
        return model.effective_probability(o, pipeline) if pipeline is not None else 0

    @strawberry.field(
        description="An open deal's win probability with its reasons: the stage default "
        "adjusted by what the organisation's won and lost deals of the last 24 months show "
        "(statistics kept per process for five minutes, so a list adds one aggregate at most; "
        "the close-date pushes are one field-history query for all the deals asked about); "
        "null when not open."
    )
    async def win_probability(self, info: Info) -> WinProbability | None:
        return await win_probability(info, self.record)

    @strawberry.field(
        description="The amount in the organisation's base currency and the rate used: at the "
        "rate of its closing day for a won or lost deal (kept as booked), today's for an open "
        "one; null without an amount or without a rate in effect on that day."
    )
    async def amount_in_base(self, info: Info) -> BaseAmountType | None:
        record = self.record
        if record.booked is not None:
            return BaseAmountType.of(record.booked, True)
        rates = await loaders.rate_table(info)
        today = day_of(info.context.deps.clock())
        converted = model.base_amount(record.opportunity, rates, today)
        return BaseAmountType.of(converted, not record.opportunity.is_open)

    @strawberry.field(description="Whole days in its current stage.")
    def stage_age_days(self, info: Info) -> int:
        now = info.context.deps.clock()
        return history.stage_age(self.record.opportunity.stage_entered_at, now).days

    @strawberry.field(
        description="Open and in its stage for at least the stage's `stallDays` (false when the "
        "stage has none)."
    )
    async def stalled(self, info: Info) -> bool:
        o = self.record.opportunity
        pipeline = await _pipeline(info, o)
        stage = pipeline.find(o.stage_id) if pipeline is not None else None
        now = info.context.deps.clock()
        return (
            stage is not None and o.is_open and history.is_stalled(stage, o.stage_entered_at, now)
        )

    @strawberry.field(
        description="Where it may move, in board order, and what each move still needs: from "
        "an open stage every other stage (a won or lost one only with reasons in the list), "
        "from a won or lost one the open stages by reopening."
    )
    async def allowed_moves(self, info: Info) -> list[AllowedMove]:
        o = self.record.opportunity
        pipeline = await loaders.pipelines(info).load(o.pipeline_id)
        if pipeline is None:
            return []
        reasons = (await loaders.close_reasons(info)).codes()
        return [
            AllowedMove(
                stage_id=strawberry.ID(move.stage_id),
                stage=PipelineStageType.of(pipeline.stage(move.stage_id)),
                missing_fields=list(move.missing),
                reopen=move.reopen,
            )
            for move in model.allowed_moves(o, pipeline, reasons=reasons)
        ]

    @strawberry.field(
        description="Whether the caller may change it (updateOpportunity, moveOpportunity, "
        "reopenOpportunity): their update scope reaches it. Its state can still refuse a move "
        "(see `allowedMoves`)."
    )
    def viewer_can_update(self, info: Info) -> bool:
        return access.can(info.context.principal, Action.UPDATE, self.record.opportunity)

    @strawberry.field(
        description="Whether the caller may reassign it (assignOpportunity): their assign "
        "scope reaches it (ADMIN, its team's MANAGER)."
    )
    def viewer_can_assign(self, info: Info) -> bool:
        return access.can(info.context.principal, Action.ASSIGN, self.record.opportunity)

    @strawberry.field(
        description="How it got its current owner: the choice made when it was created (a "
        "named owner, an assignment rule, its customer's owner or its creator), or its last "
        "assignment; null for a deal created before this was recorded."
    )
    async def assigned_by(self, info: Info) -> OpportunityAssignedBy | None:
        return await assigned_by(info, self.record.opportunity.id)

    @strawberry.field(description="Its stage changes, oldest first.")
    async def stage_history(
        self, info: Info, first: PageFirst = 20, after: PageAfter = None
    ) -> StageChangeConnection:
        size, position = page_size(first), STAGE_ORDER.position(after)
        key = str(self.id)
        page = await history_loaders.stage_pages(info).load((key, (size, position)))
        return StageChangeConnection(
            edges=[
                StageChangeEdge(cursor=c, node=StageChangeType.of(change))
                for change, c in zip(page.items, page.cursors, strict=True)
            ],
            page_info=page_info(page.cursors, page.has_next, position is not None),
            count=lambda: history_loaders.stage_counts(info).load(key),
        )

    @strawberry.field(
        description="Changes of its amount, probability, expected close date, owner and team, "
        "and its merges, oldest first."
    )
    async def field_history(
        self, info: Info, first: PageFirst = 20, after: PageAfter = None
    ) -> FieldChangeConnection:
        size, position = page_size(first), FIELD_ORDER.position(after)
        key = str(self.id)
        page = await history_loaders.field_pages(info).load((key, (size, position)))
        return FieldChangeConnection(
            edges=[
                FieldChangeEdge(cursor=c, node=FieldChangeType.of(change))
                for change, c in zip(page.items, page.cursors, strict=True)
            ],
            page_info=page_info(page.cursors, page.has_next, position is not None),
            count=lambda: history_loaders.field_counts(info).load(key),
        )

    @strawberry.field(
        description="Its quotes, every version, newest first (readable with the opportunity)."
    )
    async def quotes(
        self, info: Info, first: PageFirst = 20, after: PageAfter = None
    ) -> QuoteConnection:
        return await opportunity_quotes(info, str(self.id), first, after)

    @strawberry.field(description="Time spent in each stage it has been in, in stage order.")
    async def time_in_stages(self, info: Info) -> list[StageDuration]:
        o = self.record.opportunity
        changes = await history_loaders.stage_changes(info).load(o.id)
        until = o.closing.at if o.closing is not None else info.context.deps.clock()
        until = o.merged_into.at if o.merged_into is not None else until
        spent = history.time_in_stages(changes, until=until)
        return [
            StageDuration(stage_id=strawberry.ID(stage), seconds=int(t.total_seconds()))
            for stage, t in spent.items()
        ]


@strawberry.type(description="An opportunity and its cursor.")
class OpportunityEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: OpportunityType = strawberry.field(description="The opportunity.")


@strawberry.type(description="A page of opportunities, in the order of the field that lists them.")
class OpportunityConnection:
    edges: list[OpportunityEdge] = strawberry.field(description="This page's opportunities.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All opportunities of the list the caller may see.")
    async def total_count(self) -> int:
        return await self.count()
