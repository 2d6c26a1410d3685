"""Random histories of deals for the point-in-time tests, written with the domain's own steps
(open, update, move, close, reopen, assign, merge) so that the history is what the service
records: each step's stage and field changes are journalled, and the live state of every deal
is captured at the instant of each write and between writes, to check the replay against."""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from crm_kit.errors import BadUserInput, Conflict
from crm_sales.assignment.model import reassign
from crm_sales.history.model import FieldChange, StageChange
from crm_sales.merge import model as merging
from crm_sales.money.model import ExchangeRate, RateTable
from crm_sales.opportunities import model
from crm_sales.opportunities.values import CLEAR, Changes, NewOpportunity, Opportunity, Status
from crm_sales.pipelines.model import Pipeline
from crm_sales.point_in_time.model import DealState, Later, PipelineAt, state_now
from tests.unit.sales.samples import NOW, pipeline

OWNERS = ("li", "han", "wang")
TEAMS = ("east", "west", None)
CURRENCIES = ("CNY", "CNY", "USD", "EUR")  # EUR has no rate until the simulation's day 5
RATES = RateTable(
    [
        ExchangeRate("USD", Decimal("7.1"), NOW.date() - timedelta(days=10)),
        ExchangeRate("USD", Decimal("7.25"), NOW.date() + timedelta(days=3)),
        ExchangeRate("USD", Decimal("6.9875"), NOW.date() + timedelta(days=9)),
        ExchangeRate("EUR", Decimal("7.9"), NOW.date() + timedelta(days=5)),
    ]
)
DECISION_MAKER = (("Lee", "DECISION_MAKER"),)


@dataclass
class Journal:
    """The deals as they are now, what was recorded of them (in write order), and their live
    states at captured instants."""

    pipeline: Pipeline = field(default_factory=pipeline)
    deals: dict[str, Opportunity] = field(default_factory=dict)
    stages: dict[str, list[StageChange]] = field(default_factory=dict)
    fields: dict[str, list[FieldChange]] = field(default_factory=dict)
    captured: list[tuple[datetime, dict[str, DealState]]] = field(default_factory=list)

    @property
    def at(self) -> PipelineAt:
        return PipelineAt(self.pipeline, {s.id: s.kind for s in self.pipeline.stages})

    def record(
        self,
        deal: Opportunity,
        stage_change: StageChange | None = None,
        changes: tuple[FieldChange, ...] = (),
    ) -> None:
        self.deals[deal.id] = deal
        if stage_change is not None:
            self.stages.setdefault(deal.id, []).append(stage_change)
        self.fields.setdefault(deal.id, []).extend(changes)

    def capture(self, at: datetime) -> None:
        live = {i: state_now(o, self.pipeline) for i, o in self.deals.items()}
        self.captured.append((at, live))

    def later(self, deal_id: str) -> Later:
        """Everything recorded of the deal (the replay ignores what is not after its instant)."""
        return Later(tuple(self.stages.get(deal_id, ())), tuple(self.fields.get(deal_id, ())))

    def open_ones(self) -> list[str]:
        return sorted(i for i, o in self.deals.items() if o.is_open)

    def closed_ones(self) -> list[str]:
        return sorted(i for i, o in self.deals.items() if o.status in (Status.WON, Status.LOST))


type Step = Callable[[Journal, random.Random, datetime, int], None]


def _amount(rng: random.Random) -> Changes:
    code = rng.choice(CURRENCIES)
    if rng.random() < 0.1:
        return Changes(amount=CLEAR)
    return Changes(currency=code, amount=f"{rng.randint(0, 9000)}.{rng.randint(0, 99):02d}")


def _day(rng: random.Random) -> date:
    return NOW.date() + timedelta(days=rng.randint(0, 120))


def _open(journal: Journal, rng: random.Random, now: datetime, n: int) -> None:
    money = _amount(rng)
    command = NewOpportunity(
        customer_id="cust-1",
        name=f"deal {n}",
        owner_id=rng.choice(OWNERS),
        pipeline_id=journal.pipeline.id,
        team=rng.choice(TEAMS),
        stage_id=rng.choice((None, "qualified")),
        changes=Changes(
            currency=money.currency,
            amount=None if money.amount is CLEAR else money.amount,
            expected_close_date=_day(rng),
            contacts=DECISION_MAKER,
        ),
    )
    moved = model.open_opportunity(
        command, id=f"o{n:03d}", pipeline=journal.pipeline, actor="a", now=now
    )
    journal.record(moved.opportunity, moved.stage_change, moved.field_changes)


def _updated(journal: Journal, rng: random.Random, now: datetime, changes: Changes) -> None:
    found = journal.open_ones()
    if found:
        deal = journal.deals[rng.choice(found)]
        done = model.update(deal, changes, pipeline=journal.pipeline, actor="a", now=now)
        journal.record(done.opportunity, None, done.field_changes)


def _change_amount(journal: Journal, rng: random.Random, now: datetime, n: int) -> None:
    _updated(journal, rng, now, _amount(rng))


def _change_close(journal: Journal, rng: random.Random, now: datetime, n: int) -> None:
    day = CLEAR if rng.random() < 0.1 else _day(rng)
    _updated(journal, rng, now, Changes(expected_close_date=day))


def _override(journal: Journal, rng: random.Random, now: datetime, n: int) -> None:
    given = CLEAR if rng.random() < 0.3 else rng.randint(0, 100)
    _updated(journal, rng, now, Changes(probability=given))


def _move(journal: Journal, rng: random.Random, now: datetime, n: int) -> None:
    found = journal.open_ones()
    if not found:
        return
    deal = journal.deals[rng.choice(found)]
    target = rng.choice(("lead", "qualified", "proposal", "negotiation", "won", "lost", "lost"))
    changes = Changes(reason="PRICE", note="n") if target in ("won", "lost") else Changes()
    if rng.random() < 0.2:
        changes = Changes(probability=rng.randint(0, 100))
    moved = model.move(deal, target, pipeline=journal.pipeline, changes=changes, actor="a", now=now)
    journal.record(moved.opportunity, moved.stage_change, moved.field_changes)


def _reopen(journal: Journal, rng: random.Random, now: datetime, n: int) -> None:
    found = journal.closed_ones()
    if not found:
        return
    deal = journal.deals[rng.choice(found)]
    moved = model.reopen(
        deal,
        rng.choice(("lead", "qualified")),
        pipeline=journal.pipeline,
        reason="again",
        changes=Changes(),
        actor="a",
        now=now,
    )
    journal.record(moved.opportunity, moved.stage_change, moved.field_changes)


def _assign(journal: Journal, rng: random.Random, now: datetime, n: int) -> None:
    found = sorted(journal.deals)
    deal = journal.deals[rng.choice(found)]
    owner, team = rng.choice(OWNERS), rng.choice(("east", "west"))
    done = reassign(deal, owner_id=owner, team=team, actor="a", now=now)
    journal.record(done.opportunity, None, done.field_changes)


def _merge(journal: Journal, rng: random.Random, now: datetime, n: int) -> None:
    found = journal.open_ones()
    if len(found) < 2:
        return
    survivor, gone = (journal.deals[i] for i in rng.sample(found, 2))
    merging.check(survivor, gone)
    picks = frozenset(rng.sample(list(merging.MergeField), 2))
    changes = merging.united_changes(survivor, gone, picks)
    updated = model.update(survivor, changes, pipeline=journal.pipeline, actor="a", now=now)
    kept = (*updated.field_changes, merging.merged_from(survivor, gone.id, actor="a", now=now))
    journal.record(updated.opportunity, None, kept)
    closed = merging.close_merged(gone, survivor.id, pipeline=journal.pipeline, actor="a", now=now)
    journal.record(closed.opportunity, closed.stage_change, closed.field_changes)


STEPS: tuple[Step, ...] = (
    _open,
    _open,
    _change_amount,
    _change_amount,
    _change_close,
    _override,
    _move,
    _move,
    _reopen,
    _assign,
    _merge,
)


def simulate(seed: int, steps: int = 60) -> Journal:
    """`steps` random writes from NOW on, a minute to two days apart, each captured at its
    instant (after it) and a few seconds later (between writes)."""
    rng = random.Random(seed)
    journal = Journal()
    now = NOW
    for n in range(steps):
        now += timedelta(minutes=rng.randint(1, 2880))
        step = rng.choice(STEPS) if journal.deals else _open
        with suppress(BadUserInput, Conflict):  # a write the rules refuse records nothing
            step(journal, rng, now, n)
        journal.capture(now)
        journal.capture(now + timedelta(seconds=rng.randint(1, 59)))
    return journal
