"""GraphQL of the close reasons: `closeReasons` and `saveCloseReasons` (ADMIN)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_kit.graphql import ExpectedVersion
from crm_sales import access
from crm_sales.graphql import loaders
from crm_sales.graphql.common import in_language
from crm_sales.graphql.context import Info
from crm_sales.reasons import model
from crm_sales.reasons.model import LABEL_MAX_CHARS, MAX_REASONS


@strawberry.type(name="CloseReason", description="A reason a deal may be won or lost for.")
class CloseReasonType:
    code: str = strawberry.field(
        description="The code a won or lost move names as its `reason` (upper case)."
    )
    name_zh: str = strawberry.field(description="The label in Chinese.")
    name_en: str = strawberry.field(description="The label in English.")

    @strawberry.field(description="The label in the caller's language (Accept-Language).")
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)

    @classmethod
    def of(cls, reason: model.CloseReason) -> CloseReasonType:
        return cls(code=reason.code, name_zh=reason.name_zh, name_en=reason.name_en)


@strawberry.type(name="CloseReasonList", description="The reasons deals are won and lost for.")
class CloseReasonListType:
    won: list[CloseReasonType] = strawberry.field(
        description="The reasons a move into a won stage may name, in the ADMIN's order."
    )
    lost: list[CloseReasonType] = strawberry.field(
        description="The reasons a move into a lost stage may name, in the ADMIN's order."
    )
    version: int = strawberry.field(
        description="0 for the built-in lists, +1 per save: the `expectedVersion` of the next."
    )

    @classmethod
    def of(cls, reasons: model.CloseReasonList) -> CloseReasonListType:
        return cls(
            won=[CloseReasonType.of(r) for r in reasons.won],
            lost=[CloseReasonType.of(r) for r in reasons.lost],
            version=reasons.version,
        )


@strawberry.input(description="A reason in a list.")
class CloseReasonInput:
    code: str = strawberry.field(
        description="A-Z, 0-9 or _, 1–40 characters (upper-cased), distinct within its list."
    )
    name_zh: str = strawberry.field(
        default="", description=f"The label in Chinese, at most {LABEL_MAX_CHARS} characters."
    )
    name_en: str = strawberry.field(
        default="",
        description=f"The label in English, at most {LABEL_MAX_CHARS} characters (one of the "
        "two is required; the other falls back on it).",
    )

    def to_reason(self) -> model.CloseReason:
        return model.CloseReason(self.code, self.name_zh, self.name_en)


@strawberry.input(description="Both reason lists, each replaced whole.")
class SaveCloseReasonsInput:
    won: list[CloseReasonInput] = strawberry.field(
        description=f"The reasons for won deals, 1–{MAX_REASONS}."
    )
    lost: list[CloseReasonInput] = strawberry.field(
        description=f"The reasons for lost deals, 1–{MAX_REASONS}."
    )


@strawberry.type(description="What saveCloseReasons saved.")
class SaveCloseReasonsPayload:
    close_reasons: CloseReasonListType = strawberry.field(description="The lists now.")


@strawberry.type
class ReasonQuery:
    @strawberry.field(
        description="The reasons deals are won and lost for. Roles that may read "
        "opportunities (others: FORBIDDEN)."
    )
    async def close_reasons(self, info: Info) -> CloseReasonListType:
        access.require_reader(info.context.principal)
        return CloseReasonListType.of(await loaders.close_reasons(info))


@strawberry.type
class ReasonMutation:
    @strawberry.mutation(
        description="Replace both reason lists (deals closed with a removed code keep it). "
        "ADMIN only. Errors: BAD_USER_INPUT (`won`/`lost` REQUIRED, TOO_MANY; "
        "`won[i].code` INVALID, DUPLICATE_ID; `won[i].nameZh` REQUIRED, TOO_LONG), CONFLICT "
        "(expectedVersion), FORBIDDEN."
    )
    async def save_close_reasons(
        self,
        info: Info,
        input: Annotated[SaveCloseReasonsInput, strawberry.argument(description="The lists.")],
        expected_version: ExpectedVersion = None,
    ) -> SaveCloseReasonsPayload:
        saved = await info.context.deps.reasons.save(
            info.context.principal,
            [r.to_reason() for r in input.won],
            [r.to_reason() for r in input.lost],
            expected_version,
        )
        return SaveCloseReasonsPayload(close_reasons=CloseReasonListType.of(saved))
