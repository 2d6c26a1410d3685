"""MongoDB adapter of the close reasons: one document (`close_reasons`, `_id` `current`)."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.errors import Conflict
from crm_kit.mongo import Document, Session
from crm_sales.reasons.model import DEFAULT_REASONS, CloseReason, CloseReasonList

REASONS = "close_reasons"
CURRENT = "current"


def _reasons_to_doc(reasons: tuple[CloseReason, ...]) -> list[Document]:
    return [{"code": r.code, "nameZh": r.name_zh, "nameEn": r.name_en} for r in reasons]


def _reasons_from_doc(docs: list[Document]) -> tuple[CloseReason, ...]:
    return tuple(CloseReason(d["code"], d["nameZh"], d["nameEn"]) for d in docs)


def reasons_from_doc(doc: Document | None) -> CloseReasonList:
    """The stored lists, or the defaults (version 0) before an ADMIN saved any."""
    if doc is None:
        return DEFAULT_REASONS
    return CloseReasonList(
        _reasons_from_doc(doc["won"]), _reasons_from_doc(doc["lost"]), int(doc["version"])
    )


class ReasonRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[REASONS]

    async def get(self, session: Session | None = None) -> CloseReasonList:
        return reasons_from_doc(await self._collection.find_one({"_id": CURRENT}, session=session))

    async def save(
        self, reasons: CloseReasonList, at: datetime, actor: str, session: Session
    ) -> None:
        """Replace the lists (CONFLICT when they changed since the version they follow)."""
        fields = {
            "won": _reasons_to_doc(reasons.won),
            "lost": _reasons_to_doc(reasons.lost),
            "version": reasons.version,
            "updatedAt": at,
            "updatedBy": actor,
        }
        if reasons.version == 1:
            if await self._collection.find_one({"_id": CURRENT}, {"_id": 1}, session=session):
                raise Conflict("The reasons were changed meanwhile", conflicting_id=CURRENT)
            await self._collection.insert_one({"_id": CURRENT, **fields}, session=session)
            return
        result = await self._collection.update_one(
            {"_id": CURRENT, "version": reasons.version - 1}, {"$set": fields}, session=session
        )
        if result.matched_count != 1:
            raise Conflict("The reasons were changed meanwhile", conflicting_id=CURRENT)
