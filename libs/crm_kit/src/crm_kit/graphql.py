"""GraphQL plumbing shared by the subgraphs: request context, error codes and masking."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, cast

import strawberry
from graphql import GraphQLError
from pymongo.errors import ConnectionFailure, PyMongoError
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types import base_scalars
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import has_object_definition
from strawberry.types.enum import has_enum_definition
from strawberry.types.scalar import ScalarDefinition

from crm_kit.audit.web import AuditExtension
from crm_kit.auth import Principal
from crm_kit.errors import CrmError, ErrorCode, Unauthenticated
from crm_kit.i18n import COMMON, Catalog
from crm_kit.localise import LocaliseErrors
from crm_kit.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from crm_kit.personal import scrub, scrub_extensions
from crm_kit.personal_types import SCALAR_MAP as PERSONAL_SCALARS
from crm_kit.personal_types import PersonalDataViewer

_log = logging.getLogger("crm_kit.graphql")


@dataclass
class RequestContext[D]:
    """Per-request context: the verified caller, per-request DataLoaders, service dependencies."""

    deps: D
    request_id: str
    principal_or_error: Principal | CrmError
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    @property
    def principal(self) -> Principal:
        if isinstance(self.principal_or_error, CrmError):
            raise self.principal_or_error
        return self.principal_or_error

    def loader[K, V](
        self, name: str, load: Callable[[list[K]], Awaitable[Sequence[V | BaseException]]]
    ) -> DataLoader[K, V]:
        existing = self.loaders.get(name)
        if existing is None:
            existing = DataLoader(load_fn=load, max_batch_size=500)
            self.loaders[name] = existing
        return cast(DataLoader[K, V], existing)


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def is_retryable(error: BaseException) -> bool:
    """Failures a client may safely retry: the database was unreachable or a transaction was
    aborted by a transient condition (MongoDB labels those)."""
    if isinstance(error, (ConnectionFailure, TimeoutError)):
        return True
    return isinstance(error, PyMongoError) and (
        error.has_error_label("TransientTransactionError")
        or error.has_error_label("RetryableWriteError")
        or error.has_error_label("UnknownTransactionCommitResult")
    )


def _masked(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, CrmError):
        message, extensions = original.message, dict(original.extensions)
    elif original is None or isinstance(original, GraphQLError) or not error.path:
        # Parse, validation and variable-coercion errors are about the client's document
        # (they have no resolver path) and are safe to show.
        message = error.message
        extensions = {"code": str(ErrorCode.BAD_USER_INPUT), **(error.extensions or {})}
    elif is_retryable(original):
        _log.warning(
            "database unavailable: %s",
            type(original).__name__,
            extra={"fields": {"path": error.path, "request_id": request_id}},
        )
        message = (
            "Temporarily unavailable; retry the request (with the same idempotencyKey) "
            f"(request id {request_id})"
        )
        extensions = {
            "code": str(ErrorCode.INTERNAL_SERVER_ERROR),
            "requestId": request_id,
            "retryable": True,
        }
    else:
        _log.error(
            "unhandled error in resolver",
            exc_info=(type(original), original, original.__traceback__),
            extra={"fields": {"path": error.path, "request_id": request_id}},
        )
        message = f"Internal server error (request id {request_id})"
        extensions = {"code": str(ErrorCode.INTERNAL_SERVER_ERROR), "requestId": request_id}
    # No personal data leaves in an error, whoever the caller (e.g. an input value echoed).
    return GraphQLError(
        scrub(message),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        # The typed error stays attached: LocaliseErrors picks its text by its message key.
        original_error=original if isinstance(original, CrmError) else None,
        extensions=scrub_extensions(extensions),
    )


class ErrorMasking(SchemaExtension):
    """Every error leaves with `extensions.code`; internals are logged, never returned."""

    def on_execute(self) -> Iterator[None]:
        yield
        self._mask(self.execution_context)

    def on_validate(self) -> Iterator[None]:
        yield
        self._mask(self.execution_context)

    def on_operation(self) -> Iterator[None]:
        yield
        self._mask(self.execution_context)

    @staticmethod
    def _mask(ctx: ExecutionContext) -> None:
        request_id = getattr(ctx.context, "request_id", "") or new_request_id()
        if ctx.pre_execution_errors:
            ctx.pre_execution_errors = [_masked(e, request_id) for e in ctx.pre_execution_errors]
        result = ctx.result
        if result is not None and result.errors:
            result.errors = [_masked(e, request_id) for e in result.errors]


# Date and time scalars described and pointed at their specification (`@specifiedBy`), so a
# client's code generator maps them without guessing.
def _utc_date_time(value: object) -> dt.datetime:
    """A date-time input; one without an offset is UTC (the API's time zone), so no naive
    time reaches a comparison with a stored one."""
    parse = base_scalars.DateTimeDefinition.parse_value
    assert parse is not None
    parsed = cast(dt.datetime, parse(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


TIME_SCALARS: dict[object, ScalarDefinition] = {
    dt.datetime: dataclasses.replace(
        base_scalars.DateTimeDefinition,
        parse_value=_utc_date_time,
        description="A date-time as RFC 3339 `date-time` (ISO 8601), with its offset: "
        "`2026-12-07T08:30:00+00:00`; the API answers in UTC. An input without an offset is "
        "read as UTC.",
        specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    ),
    dt.date: dataclasses.replace(
        base_scalars.DateDefinition,
        description="A calendar date as RFC 3339 `full-date` (ISO 8601): `2026-12-07`.",
        specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    ),
}


class Schema(strawberry.federation.Schema):
    """Federation v2 schema whose errors are masked by ErrorMasking, not logged twice, and
    reach the caller in their language from `catalog` (the kit's texts when not given)."""

    def __init__(self, *, catalog: Catalog = COMMON, **kwargs: Any) -> None:
        # AuditExtension records mutations and failed authorizations of audited services
        # (a no-op where install_audit was not called). LocaliseErrors is first, so its exit
        # runs last: after ErrorMasking's.
        extensions = [
            LocaliseErrors.using(catalog),
            PersonalDataViewer,
            *kwargs.pop("extensions", []),
            AuditExtension,
            ErrorMasking,
        ]
        # Personal data is masked by its type (crm_kit.personal_types), in every subgraph.
        config = kwargs.pop("config", None) or StrawberryConfig()
        config.scalar_map = {**PERSONAL_SCALARS, **TIME_SCALARS, **config.scalar_map}
        super().__init__(extensions=extensions, config=config, **kwargs)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def unauthenticated() -> Unauthenticated:
    return Unauthenticated("Authentication required")


@strawberry.federation.type(
    shareable=True, description="Relay page info; shared by every subgraph's connections."
)
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="More items follow this page: ask again with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="True when this page was asked for with `after` (there is no backward paging)."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the page's first edge; null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last edge, for `after` of the next page; null on "
        "an empty page."
    )


@strawberry.federation.type(
    shareable=True,
    description="How many records share one value of a field (a statistic's bar or slice); "
    "shared by every subgraph's statistics.",
)
class CountBucket:
    key: str | None = strawberry.field(
        description="The value, as its enum name or id (the field the list is `by…` says "
        "which); null for the records without one."
    )
    count: int = strawberry.field(description="How many records have it.")


@strawberry.federation.type(
    shareable=True,
    description="An amount of money: an exact decimal string plus an ISO 4217 code; shared by "
    "every subgraph that reports amounts.",
)
class Money:
    amount: str = strawberry.field(
        description='Exact decimal string, never a float (e.g. "1299.00"), with at most the '
        "currency's decimal places."
    )
    currency: str = strawberry.field(description="ISO 4217 code, upper case (e.g. CNY).")


def page_info(cursors: list[str], has_next: bool, has_previous: bool) -> PageInfo:
    """The PageInfo of a page whose edges carry `cursors`, in order."""
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


FIRST = (
    f"How many items to return: {DEFAULT_PAGE_SIZE} by default, 0…{MAX_PAGE_SIZE} (the "
    "services' MAX_PAGE_SIZE setting); more is refused, never cut: BAD_USER_INPUT (`first` "
    "OUT_OF_RANGE)."
)
AFTER = (
    "The `endCursor` of the previous page (an opaque string); omit it for the first page. A "
    "string that is not a cursor of this list is BAD_USER_INPUT (`after` INVALID_CURSOR)."
)
PageFirst = Annotated[int | None, strawberry.argument(description=FIRST)]
"""A connection's `first` argument, described."""
PageAfter = Annotated[str | None, strawberry.argument(description=AFTER)]
"""A connection's `after` argument, described."""
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(
        description="The `version` the caller last saw: when the record has another version "
        "now, nothing changes and the answer is CONFLICT (with `currentVersion`). Omit it to "
        "change whatever version is current."
    ),
]
"""An edit's `expectedVersion` argument (optimistic concurrency), described."""


def described_enum[E: Enum](
    enum: type[E],
    description: str,
    values: Mapping[E, str] | Mapping[str, str],
    *,
    name: str | None = None,
) -> type[E]:
    """`strawberry.enum` for a domain enum (a model imports no strawberry, so its members
    cannot be `strawberry.enum_value`s), with a description for each value (keyed by member
    or member name); a value left undescribed is an error at import. `name` is the GraphQL
    name when it differs from the class's. A definition strawberry already made for the enum
    (it makes one for a plain enum met in an annotation) is described in place, so every type
    that refers to the enum sees the descriptions."""
    text = {(k.name if isinstance(k, Enum) else k): v for k, v in values.items()}
    missing = [member.name for member in enum if not text.get(member.name)]
    if missing:
        raise ValueError(f"{enum.__name__}: no description for {', '.join(missing)}")
    wrapped = enum if has_enum_definition(enum) else strawberry.enum(enum, name=name)
    if not has_enum_definition(wrapped):  # pragma: no cover - strawberry.enum always sets it
        raise TypeError(f"{enum.__name__} is not a strawberry enum")
    definition = wrapped.__strawberry_definition__
    definition.name = name or definition.name
    definition.description = description
    for value in definition.values:
        value.description = text[value.name]
    return enum


QUERY = "The CRM's reads: the gateway composes every service's into one Query."
MUTATION = (
    "The CRM's writes: each answers the changed record or a payload; a refused one answers an "
    "error with `extensions.code` (and `fieldErrors` for BAD_USER_INPUT)."
)


def root_type(name: str, parts: tuple[type, ...], description: str) -> type:
    """`strawberry.tools.merge_types`, described: a subgraph's Query or Mutation."""
    merged = merge_types(name, parts)
    if not has_object_definition(merged):  # pragma: no cover - merge_types makes a type
        raise TypeError(f"{name} is not a strawberry type")
    merged.__strawberry_definition__.description = description
    return merged
