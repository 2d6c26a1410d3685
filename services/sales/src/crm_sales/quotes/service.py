"""Quote use cases, each one unit of work that reads the quote and its deal, changes the quote
through the domain (`model`), saves it at the version it read (optimistic concurrency) and
records its audit entry — or does nothing.

Access follows the quote's opportunity (`crm_sales.access`): writing a quote needs the update
scope on its deal (SALES their own, MANAGER their team's, ADMIN all); approving needs ADMIN,
or MANAGER of the deal's team; the settings are the ADMIN's. `acceptQuote` with
`markOpportunityWon` wins the deal in the same transaction (`winning`).

Every read inside a transaction goes through its session (the embedded development server
runs one transaction at a time, and a read outside it would wait for it to end).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from crm_kit import audit
from crm_kit.auth import Principal, Role
from crm_kit.errors import Conflict, Forbidden, NotFound
from crm_kit.events import new_id
from crm_kit.idempotency import key_for
from crm_kit.mongo import Session
from crm_kit.policy import Action
from crm_kit.uow import Transaction
from crm_sales import access
from crm_sales.opportunities.store import OpportunityRepository
from crm_sales.opportunities.values import Opportunity, Status
from crm_sales.quotes import model
from crm_sales.quotes.model import Quote
from crm_sales.quotes.store import SETTINGS_ID, QuoteRepository, QuoteSettingsRepository
from crm_sales.quotes.terms import (
    QuoteError,
    QuoteSettings,
    SettingsChanges,
    Terms,
    change_settings,
)
from crm_sales.quotes.winning import DealWinner, WinRequest
from crm_sales.shared.versioning import load_for_change
from crm_sales.shared.writes import Writes, require_admin

type Step = Callable[[Quote, Opportunity, Transaction], Awaitable[Quote]]


@dataclass(frozen=True, slots=True)
class NewQuote:
    """createQuote: a quote of the deal's current line items, with these terms."""

    opportunity_id: str
    terms: Terms = field(default_factory=Terms)


def _require_open(deal: Opportunity, quote: Quote) -> None:
    if not deal.is_open:
        raise QuoteError.single(
            "id",
            "OPPORTUNITY_CLOSED",
            f"the deal of quote {quote.number} is {deal.status}: it can no longer be quoted",
        )


def may_approve(principal: Principal, deal: Opportunity) -> bool:
    """ADMIN, or a MANAGER of the deal's team."""
    manager = principal.has_role(Role.MANAGER) and bool(principal.team)
    return principal.has_role(Role.ADMIN) or (manager and principal.team == deal.team)


def require_approver(principal: Principal, deal: Opportunity) -> None:
    """FORBIDDEN unless the caller `may_approve` the deal's quotes."""
    if not may_approve(principal, deal):
        raise Forbidden(
            f"Not allowed: approve the quotes of opportunity {deal.id}",
            action="APPROVE",
            resource="QUOTE",
            id=deal.id,
        )


class QuoteService:
    def __init__(
        self,
        writes: Writes,
        quotes: QuoteRepository,
        settings: QuoteSettingsRepository,
        opportunities: OpportunityRepository,
        winner: DealWinner,
    ) -> None:
        self._writes = writes
        self._quotes = quotes
        self._settings = settings
        self._opportunities = opportunities
        self._winner = winner

    async def create(
        self, principal: Principal, request: NewQuote, idempotency_key: str | None = None
    ) -> Quote:
        """The first version of a new number, from the deal's line items (an open deal the
        caller may update: else `opportunityId` OPPORTUNITY_CLOSED, NO_LINE_ITEMS)."""
        key = key_for("createQuote", principal, idempotency_key, request)
        writes = self._writes

        async def work(tx: Transaction) -> Quote:
            now, session = writes.now(), tx.session
            deal = await self._deal(principal, request.opportunity_id, session, "opportunityId")
            settings = await self._settings.get(session)
            known_as = await self._quotes.display_name(deal.customer_id, session)
            sequence = await self._quotes.next_sequence(now.year, session)
            quote = model.draft(
                request.terms,
                id=new_id(),
                year=now.year,
                sequence=sequence,
                opportunity=deal,
                settings=settings,
                customer_name=known_as,
                actor=principal.sub,
                now=now,
            )
            await writes.guards.claim(key, quote.id, now, session)
            await self._quotes.add(quote, session)
            _record(tx, "quote.create", quote)
            return quote

        async def write() -> Quote:
            return await writes.uow.run(work)

        return await writes.guards.once(key, "quote", self._quotes.get, write)

    async def update_draft(
        self, principal: Principal, quote_id: str, terms: Terms, expected_version: int | None
    ) -> Quote:
        async def step(quote: Quote, _deal: Opportunity, _tx: Transaction) -> Quote:
            return model.update_draft(quote, terms, now=self._writes.now())

        return await self._change(principal, quote_id, expected_version, "quote.update", step)

    async def revise(
        self, principal: Principal, quote_id: str, expected_version: int | None
    ) -> Quote:
        """Version n+1 of the quote's number as a DRAFT; the quote revised is superseded."""

        async def work(tx: Transaction) -> Quote:
            session = tx.session
            current = await self._load(quote_id, expected_version, session)
            deal = await self._deal(principal, current.opportunity_id, session, "id")
            previous, quote = model.revise(
                current,
                id=new_id(),
                opportunity=deal,
                settings=await self._settings.get(session),
                actor=principal.sub,
                now=self._writes.now(),
            )
            await self._quotes.save(previous, current.version, session)
            await self._quotes.add(quote, session)
            _record(tx, "quote.revise", quote, supersedes=previous.id)
            return quote

        return await self._writes.uow.run(work)

    async def request_approval(
        self, principal: Principal, quote_id: str, expected_version: int | None
    ) -> Quote:
        async def step(quote: Quote, _deal: Opportunity, tx: Transaction) -> Quote:
            threshold = (await self._settings.get(tx.session)).discount_threshold
            now = self._writes.now()
            return model.request_approval(quote, threshold=threshold, actor=principal.sub, now=now)

        action = "quote.request_approval"
        return await self._change(principal, quote_id, expected_version, action, step)

    async def approve(
        self,
        principal: Principal,
        quote_id: str,
        note: str | None,
        expected_version: int | None,
    ) -> Quote:
        async def step(quote: Quote, deal: Opportunity, tx: Transaction) -> Quote:
            require_approver(principal, deal)
            threshold = (await self._settings.get(tx.session)).discount_threshold
            return model.approve(
                quote,
                threshold=threshold,
                actor=principal.sub,
                now=self._writes.now(),
                note=note,
                own_allowed=principal.has_role(Role.ADMIN),
            )

        return await self._change(principal, quote_id, expected_version, "quote.approve", step)

    async def send(
        self, principal: Principal, quote_id: str, expected_version: int | None
    ) -> Quote:
        async def step(quote: Quote, deal: Opportunity, tx: Transaction) -> Quote:
            _require_open(deal, quote)
            threshold = (await self._settings.get(tx.session)).discount_threshold
            now = self._writes.now()
            return model.send(quote, threshold=threshold, actor=principal.sub, now=now)

        return await self._change(principal, quote_id, expected_version, "quote.send", step)

    async def accept(
        self,
        principal: Principal,
        quote_id: str,
        win: WinRequest | None,
        expected_version: int | None,
    ) -> Quote:
        """The quote accepted; with `win`, its open deal moved to won in the same transaction
        (a deal already won stays as it is; a lost or merged one refuses the acceptance)."""
        if win is not None:
            found = await self._quotes.get(quote_id)
            deal = await self._opportunities.get(found.opportunity_id) if found else None
            if found is not None and deal is not None and deal.is_open:
                return await self._accept_winning(principal, found, deal, win, expected_version)

        async def step(quote: Quote, deal: Opportunity, _tx: Transaction) -> Quote:
            if deal.status is not Status.WON:
                _require_open(deal, quote)
            now = self._writes.now()
            return model.accept(quote, actor=principal.sub, now=now, opportunity_won=False)

        return await self._change(principal, quote_id, expected_version, "quote.accept", step)

    async def _accept_winning(
        self,
        principal: Principal,
        quote: Quote,
        deal: Opportunity,
        win: WinRequest,
        expected_version: int | None,
    ) -> Quote:
        """The won move and, in its transaction, the acceptance (refused before anything is
        written when the quote, as read, cannot be accepted)."""
        access.require(principal, Action.UPDATE, deal)
        model.accept(quote, actor=principal.sub, now=self._writes.now(), opportunity_won=True)
        accepted: list[Quote] = []

        async def accept_in(tx: Transaction) -> None:
            current = await self._load(quote.id, expected_version, tx.session)
            changed = model.accept(
                current, actor=principal.sub, now=self._writes.now(), opportunity_won=True
            )
            await self._quotes.save(changed, current.version, tx.session)
            _record(tx, "quote.accept", changed)
            accepted.append(changed)  # the attempt that commits is the last

        await self._winner.win(principal, deal, win, accept_in)
        return accepted[-1]

    async def reject(
        self,
        principal: Principal,
        quote_id: str,
        reason: str | None,
        expected_version: int | None,
    ) -> Quote:
        async def step(quote: Quote, _deal: Opportunity, _tx: Transaction) -> Quote:
            now = self._writes.now()
            return model.reject(quote, actor=principal.sub, now=now, reason=reason)

        return await self._change(principal, quote_id, expected_version, "quote.reject", step)

    async def update_settings(
        self, principal: Principal, changes: SettingsChanges, expected_version: int | None
    ) -> QuoteSettings:
        """The ADMIN's quote settings changed (CONFLICT on a stale `expected_version`)."""
        require_admin(principal)

        async def work(tx: Transaction) -> QuoteSettings:
            current = await self._settings.get(tx.session)
            if expected_version is not None and expected_version != current.version:
                raise _stale_settings(current, expected_version)
            changed = change_settings(current, changes, actor=principal.sub, now=self._writes.now())
            await self._settings.save(changed, tx.session)
            audit.record(
                tx,
                "quote_settings.update",
                "QuoteSettings",
                SETTINGS_ID,
                details={"version": changed.version},
            )
            return changed

        return await self._writes.uow.run(work)

    # --- shared steps -------------------------------------------------------------------

    async def _change(
        self,
        principal: Principal,
        quote_id: str,
        expected_version: int | None,
        action: str,
        step: Step,
    ) -> Quote:
        async def work(tx: Transaction) -> Quote:
            current = await self._load(quote_id, expected_version, tx.session)
            deal = await self._deal(principal, current.opportunity_id, tx.session, "id")
            changed = await step(current, deal, tx)
            await self._quotes.save(changed, current.version, tx.session)
            _record(tx, action, changed)
            return changed

        return await self._writes.uow.run(work)

    async def _load(self, quote_id: str, expected_version: int | None, session: Session) -> Quote:
        return await load_for_change(
            self._quotes.get, "Quote", quote_id, expected_version=expected_version, session=session
        )

    async def _deal(
        self, principal: Principal, opportunity_id: str, session: Session, field: str
    ) -> Opportunity:
        """The quote's deal, read in the transaction; the caller needs its update scope."""
        deal = await self._opportunities.get(opportunity_id, session)
        if deal is None:
            if field == "id":
                raise NotFound("Opportunity", opportunity_id)
            raise QuoteError.single(
                field, "UNKNOWN_OPPORTUNITY", f"no opportunity {opportunity_id}"
            )
        access.require(principal, Action.UPDATE, deal)
        return deal


def _record(tx: Transaction, action: str, quote: Quote, **details: str) -> None:
    audit.record(
        tx,
        action,
        "Quote",
        quote.id,
        details={
            "number": quote.number,
            "revision": quote.revision,
            "opportunityId": quote.opportunity_id,
            "status": str(quote.status),
            "version": quote.version,
            **details,
        },
    )


def _stale_settings(current: QuoteSettings, expected: int) -> Conflict:
    return Conflict(
        f"The quote settings were changed by someone else (version {current.version}, you had "
        f"{expected})",
        conflicting_id=SETTINGS_ID,
        currentVersion=current.version,
    )
