"""Use cases of communication records: log (idempotent per caller and key), edit and delete
(the author within 7 days, managers any time; the state before each change is kept in the
history). Each runs in one transaction with its timeline entry and events."""

from __future__ import annotations

import hashlib

from crm_interaction.events import interaction_logged
from crm_interaction.interactions import details as record_details
from crm_interaction.interactions import model
from crm_interaction.interactions.model import Interaction, InteractionChanges, LogInteraction
from crm_interaction.interactions.store import InteractionRepository
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.shared.filing import Filing
from crm_interaction.shared.versioning import load_for_change
from crm_interaction.timeline.model import TimelineKind, entry_id
from crm_kit.auth import Principal
from crm_kit.errors import Forbidden
from crm_kit.events import new_id
from crm_kit.idempotency import Key
from crm_kit.mongo import Session
from crm_kit.uow import Transaction

EDITED = "EDITED"
DELETED = "DELETED"


def guard_id(operation: str, caller: str, key: str) -> str:
    digest = hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()
    return f"{operation}:{digest}"


def fingerprint(command: LogInteraction) -> str:
    """What makes two requests with one idempotency key "the same request"."""
    parts = [
        command.customer_id.strip(),
        str(command.channel),
        str(command.direction),
        (command.subject or "").strip(),
        command.content,
        str(command.duration_seconds),
        to_storage_time(command.occurred_at).isoformat() if command.occurred_at else "",
        repr(record_details.to_doc(record_details.normalized(command.details))),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class InteractionService:
    def __init__(self, filing: Filing, interactions: InteractionRepository) -> None:
        self._filing = filing
        self._interactions = interactions

    def may_change(self, principal: Principal, interaction: Interaction) -> bool:
        """Would `edit` and `delete` let the caller at this record now (the author's window,
        the editors' roles)? The customer scope is `access`'s part."""
        try:
            model.ensure_can_change(interaction, principal, to_storage_time(self._filing.clock()))
        except Forbidden:
            return False
        return True

    async def log(self, principal: Principal, command: LogInteraction) -> Interaction:
        model.ensure_can_log(principal)
        filing = self._filing
        interaction = model.new_interaction(
            command, id=new_id(), logged_by=principal.sub, now=filing.clock()
        )
        key = (
            Key(
                guard_id("logInteraction", principal.sub, command.idempotency_key),
                fingerprint(command),
            )
            if command.idempotency_key
            else None
        )

        async def write() -> Interaction:
            filed = await filing.under_customer(interaction)

            async def work(tx: Transaction) -> Interaction:
                await filing.guards.claim(key, filed.id, filed.created_at, tx.session)
                await self._interactions.add(filed, tx.session)
                await filing.timeline.put(model.timeline_entry(filed), tx.session)
                tx.emit(
                    interaction_logged.TYPE, filed.customer_id, interaction_logged.payload(filed)
                )
                return filed

            return await filing.uow.run(work)

        return await filing.guards.once(key, "interaction", self._interactions.get, write)

    async def edit(
        self,
        principal: Principal,
        interaction_id: str,
        changes: InteractionChanges,
        expected_version: int | None = None,
    ) -> Interaction:
        now = to_storage_time(self._filing.clock())

        async def work(tx: Transaction) -> Interaction:
            before = await self._load(interaction_id, expected_version, tx.session)
            model.ensure_can_change(before, principal, now)
            after = model.edit(before, changes, now)
            await self._interactions.record(before, EDITED, principal.sub, now, tx.session)
            await self._interactions.replace(after, before.version, tx.session)
            await self._filing.timeline.put(model.timeline_entry(after), tx.session)
            return after

        return await self._filing.uow.run(work)

    async def delete(
        self, principal: Principal, interaction_id: str, expected_version: int | None = None
    ) -> str:
        now = to_storage_time(self._filing.clock())

        async def work(tx: Transaction) -> str:
            before = await self._load(interaction_id, expected_version, tx.session)
            model.ensure_can_change(before, principal, now)
            await self._interactions.record(before, DELETED, principal.sub, now, tx.session)
            await self._interactions.delete(before, tx.session)
            await self._filing.timeline.remove(
                entry_id(TimelineKind.INTERACTION, before.id), tx.session
            )
            return before.id

        return await self._filing.uow.run(work)

    async def _load(
        self, interaction_id: str, expected_version: int | None, session: Session
    ) -> Interaction:
        return await load_for_change(
            self._interactions.get,
            "Interaction",
            interaction_id,
            expected_version=expected_version,
            session=session,
            conflict="The interaction was changed meanwhile",
        )
