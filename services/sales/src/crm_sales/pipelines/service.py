"""Pipeline use cases (ADMIN): define one, revise it. Each runs in one unit of work.

A revision is a new version beside the old ones (history written under an old version keeps
reading with its stages). It is refused while an open opportunity sits in a stage it removes,
or while any opportunity sits in a stage whose kind it changes: moving those deals first is
the caller's decision, not ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from crm_kit import audit
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, FieldError
from crm_kit.events import new_id
from crm_kit.idempotency import key_for
from crm_kit.mongo import Session
from crm_kit.uow import Transaction
from crm_sales.pipelines import model
from crm_sales.pipelines.model import Pipeline, PipelineDraft
from crm_sales.pipelines.store import PipelineRepository
from crm_sales.shared.versioning import load_for_change
from crm_sales.shared.writes import Writes, require_admin

MAX_PIPELINES = 50


class StageOccupancy(Protocol):
    """How many opportunities sit in stages of a pipeline (the opportunities' repository)."""

    async def in_stages(
        self, pipeline_id: str, stage_ids: Sequence[str], *, open_only: bool, session: Session
    ) -> Mapping[str, int]: ...


def _changed_kinds(old: Pipeline, new: Pipeline) -> dict[str, int]:
    """Stage id → its index in `new`, for the stages both have whose kind differs."""
    before = {stage.id: stage.kind for stage in old.stages}
    return {
        stage.id: index
        for index, stage in enumerate(new.stages)
        if stage.id in before and before[stage.id] is not stage.kind
    }


class PipelineService:
    def __init__(
        self, writes: Writes, pipelines: PipelineRepository, occupancy: StageOccupancy
    ) -> None:
        self._writes = writes
        self._pipelines = pipelines
        self._occupancy = occupancy

    async def create(
        self, principal: Principal, draft: PipelineDraft, idempotency_key: str | None = None
    ) -> Pipeline:
        require_admin(principal)
        key = key_for("createPipeline", principal, idempotency_key, draft)
        pipeline = model.define(draft, id=new_id())
        writes = self._writes

        async def work(tx: Transaction) -> Pipeline:
            if await self._pipelines.count(tx.session) >= MAX_PIPELINES:
                raise BadUserInput.single("input", "TOO_MANY", f"at most {MAX_PIPELINES} pipelines")
            now = writes.now()
            await writes.guards.claim(key, pipeline.id, now, tx.session)
            await self._pipelines.add(pipeline, now, principal.sub, tx.session)
            audit.record(tx, "pipeline.create", "Pipeline", pipeline.id, details={"version": 1})
            return pipeline

        async def write() -> Pipeline:
            return await writes.uow.run(work)

        return await writes.guards.once(key, "pipeline", self._pipelines.get, write)

    async def revise(
        self,
        principal: Principal,
        pipeline_id: str,
        draft: PipelineDraft,
        expected_version: int | None = None,
    ) -> Pipeline:
        require_admin(principal)

        async def work(tx: Transaction) -> Pipeline:
            current = await load_for_change(
                self._pipelines.get,
                "Pipeline",
                pipeline_id,
                expected_version=expected_version,
                session=tx.session,
            )
            revised = model.revise(current, draft)
            await self._check_in_use(current, revised, tx.session)
            await self._pipelines.replace(
                revised, current.version, self._writes.now(), principal.sub, tx.session
            )
            audit.record(
                tx,
                "pipeline.revise",
                "Pipeline",
                pipeline_id,
                details={
                    "version": revised.version,
                    "removed": list(model.removed_stages(current, revised)),
                },
            )
            return revised

        return await self._writes.uow.run(work)

    async def _check_in_use(self, old: Pipeline, new: Pipeline, session: Session) -> None:
        removed = model.removed_stages(old, new)
        changed = _changed_kinds(old, new)
        errors: list[FieldError] = []
        if removed:
            held = await self._occupancy.in_stages(old.id, removed, open_only=True, session=session)
            errors += [
                FieldError("stages", "STAGE_IN_USE", f"{n} open opportunities are in {stage}")
                for stage, n in sorted(held.items())
                if n
            ]
        if changed:
            held = await self._occupancy.in_stages(
                old.id, list(changed), open_only=False, session=session
            )
            errors += [
                FieldError(
                    f"stages[{changed[stage]}].kind",
                    "STAGE_IN_USE",
                    f"{n} opportunities are in {stage}; its kind cannot change",
                )
                for stage, n in sorted(held.items())
                if n
            ]
        if errors:
            raise model.PipelineError(errors, "The revision would strand opportunities")
