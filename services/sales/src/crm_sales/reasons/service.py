"""Close reason use cases (ADMIN): replace both lists in one unit of work."""

from __future__ import annotations

from collections.abc import Sequence

from crm_kit import audit
from crm_kit.auth import Principal
from crm_kit.errors import Conflict
from crm_kit.uow import Transaction
from crm_sales.reasons.model import CloseReason, CloseReasonList, define_reasons
from crm_sales.reasons.store import CURRENT, ReasonRepository
from crm_sales.shared.writes import Writes, require_admin


class ReasonService:
    def __init__(self, writes: Writes, reasons: ReasonRepository) -> None:
        self._writes = writes
        self._reasons = reasons

    async def save(
        self,
        principal: Principal,
        won: Sequence[CloseReason],
        lost: Sequence[CloseReason],
        expected_version: int | None = None,
    ) -> CloseReasonList:
        require_admin(principal)

        async def work(tx: Transaction) -> CloseReasonList:
            current = await self._reasons.get(tx.session)
            if expected_version is not None and expected_version != current.version:
                raise Conflict(
                    f"The close reasons were changed by someone else (version "
                    f"{current.version}, you had {expected_version})",
                    conflicting_id=CURRENT,
                    currentVersion=current.version,
                )
            saved = define_reasons(won, lost, version=current.version + 1)
            await self._reasons.save(saved, self._writes.now(), principal.sub, tx.session)
            audit.record(
                tx,
                "close_reasons.save",
                "CloseReasons",
                CURRENT,
                details={"won": len(saved.won), "lost": len(saved.lost)},
            )
            return saved

        return await self._writes.uow.run(work)
