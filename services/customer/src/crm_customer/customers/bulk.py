"""Bulk operations: one change applied to many customers, each in its own transaction, with a
result per item, in bounded batches (a failure never stops or rolls back the others). Every
event of one call names the call as its cause (`events/batch.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_customer.customers.filters import CustomerFilter
from crm_customer.customers.model import CustomerChanges
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.service import CustomerService
from crm_customer.customers.values import LifecycleStage
from crm_customer.events.batch import Batch, caused_by
from crm_customer.i18n import message
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, CrmError
from crm_kit.events import utcnow

MAX_ITEMS = 500


@dataclass(frozen=True, slots=True)
class BulkChange:
    stage: LifecycleStage | None = None
    owner_id: str | None = None
    team: str | None = None
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    archived: bool | None = None

    def is_empty(self) -> bool:
        return (
            self.stage is None
            and self.owner_id is None
            and not self.add_tags
            and not self.remove_tags
            and self.archived is None
        )


@dataclass(frozen=True, slots=True)
class ItemResult:
    id: str
    ok: bool
    version: int | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class BulkResult:
    items: list[ItemResult]
    truncated: bool

    @property
    def succeeded(self) -> int:
        return sum(1 for i in self.items if i.ok)


@dataclass(frozen=True, slots=True)
class BulkService:
    customers: CustomerService
    queries: CustomerQueries

    async def targets(
        self,
        ids: list[str] | None,
        flt: CustomerFilter | None,
        scope: Mapping[str, Any] | None = None,
    ) -> tuple[list[str], bool]:
        if (ids is None) == (flt is None):
            raise BadUserInput.single("ids", "IDS_OR_FILTER", "Give either ids or a filter")
        if ids is not None:
            unique = list(dict.fromkeys(ids))
            if len(unique) > MAX_ITEMS:
                raise BadUserInput.single("ids", "TOO_MANY", f"At most {MAX_ITEMS} ids per call")
            return unique, False
        assert flt is not None
        page = await self.queries.page(flt, MAX_ITEMS, None, scope=scope)
        return [c.id for c in page.items], page.has_next

    async def apply(
        self,
        actor: Principal,
        ids: list[str] | None,
        flt: CustomerFilter | None,
        change: BulkChange,
        scope: Mapping[str, Any] | None = None,
    ) -> BulkResult:
        """`scope`: the caller's access condition; a filter only selects records within it."""
        if change.is_empty():
            raise BadUserInput.single("change", "REQUIRED", "Nothing to change")
        targets, truncated = await self.targets(ids, flt, scope)
        with caused_by(Batch.bulk_update(utcnow())):
            return BulkResult([await self._one(actor, id, change) for id in targets], truncated)

    async def _one(self, actor: Principal, id: str, change: BulkChange) -> ItemResult:
        try:
            current = await self.queries.get(id)
            if change.stage is not None or change.add_tags or change.remove_tags:
                tags = None
                if change.add_tags or change.remove_tags:
                    kept = [t for t in current.tags if t not in change.remove_tags]
                    tags = kept + [t for t in change.add_tags if t not in kept]
                current = await self.customers.update(
                    actor, id, current.version, CustomerChanges(stage=change.stage, tags=tags)
                )
            if change.owner_id is not None:
                current = await self.customers.assign(
                    actor, id, change.owner_id, change.team, current.version
                )
            if change.archived is not None:
                current = await self.customers.set_archived(
                    actor, id, change.archived, current.version
                )
            return ItemResult(id, True, version=current.version)
        except BadUserInput as exc:
            first = exc.field_errors[0]
            text = message(first.code, first.message)
            return ItemResult(id, False, code=first.code, message=f"{first.field}: {text}")
        except CrmError as exc:
            return ItemResult(id, False, code=str(exc.extensions.get("code")), message=exc.message)
