"""One loaded supergraph, ready to serve operations: validate, plan (cached), execute, shape."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    execute_sync,
    parse,
    print_ast,
    specified_rules,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule

from crm_gateway.composition.api_schema import build_api_schema
from crm_gateway.composition.nodes import add_global_ids
from crm_gateway.composition.supergraph import Supergraph
from crm_gateway.errors import INTERNAL, ErrorDict, gateway_error, upload_error
from crm_gateway.execution.executor import Executor
from crm_gateway.execution.limits import (
    LimitExceeded,
    Limits,
    Measures,
    check_cost,
    check_shape,
    measure,
)
from crm_gateway.execution.response import ResponseShaper
from crm_gateway.execution.state import ExecutionState, RequestContext
from crm_gateway.planning.plan import INTROSPECTION_FIELDS, PlanningError, QueryPlan
from crm_gateway.planning.planner import Planner
from crm_gateway.transport.client import SubgraphClient
from crm_gateway.transport.files import Uploads
from crm_kit.personal import scrub

logger = logging.getLogger("crm_gateway")


class RequestError(Exception):
    """The operation cannot run at all (no `data` in the response)."""

    def __init__(self, errors: list[ErrorDict]) -> None:
        super().__init__(errors[0]["message"] if errors else "request error")
        self.errors = errors


@dataclass(slots=True)
class PreparedOperation:
    document: DocumentNode
    operation: OperationDefinitionNode
    plan: QueryPlan
    measures: Measures


def limit_error(exc: LimitExceeded) -> ErrorDict:
    return gateway_error(
        str(exc), "BAD_REQUEST", limit=exc.limit, maximum=exc.maximum, actual=exc.actual
    )


_SUGGESTION = re.compile(r" Did you mean .*\?$")


def _error_dicts(
    errors: list[GraphQLError], code: str, *, suggestions: bool = True
) -> list[ErrorDict]:
    result = []
    for error in errors:
        formatted: ErrorDict = dict(error.formatted)
        # a coercion error echoes the variable's value: no personal data in it
        formatted["message"] = scrub(str(formatted["message"]))
        if not suggestions:
            formatted["message"] = _SUGGESTION.sub("", str(formatted["message"]))
        formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
        result.append(formatted)
    return result


def check_uploads(plan: QueryPlan, uploads: Uploads) -> None:
    """Files go to root fields of one subgraph in a mutation, or the request is refused."""
    names = uploads.variable_names()
    users = [
        node
        for node in plan.fetch_nodes()
        if any(name in fetch.variables for fetch in node.fetches for name in names)
    ]
    reason = None
    if plan.operation_type != "mutation":
        reason = "File uploads are accepted only for mutations"
    elif not users:
        reason = "No field of the operation takes the uploaded files"
    elif any(node.is_entity for node in users) or len({node.subgraph for node in users}) != 1:
        reason = "File uploads must go to root mutation fields of a single subgraph"
    if reason is not None:
        raise RequestError([upload_error(reason)])


class Engine:
    def __init__(
        self,
        supergraph: Supergraph,
        client: SubgraphClient,
        *,
        introspection: bool = True,
        plan_cache_size: int = 1000,
        limits: Limits | None = None,
        field_suggestions: bool = True,
        global_ids: bool = True,
    ) -> None:
        self.limits = limits or Limits()
        self.field_suggestions = field_suggestions
        self.supergraph = supergraph
        if global_ids:
            skipped = add_global_ids(supergraph)
            if skipped:
                logger.info("no global object identification: %s", skipped)
        self.schema: GraphQLSchema = build_api_schema(supergraph)
        self.planner = Planner(supergraph)
        self.executor = Executor(supergraph, client)
        self.introspection = introspection
        self._rules = list(specified_rules)
        if not introspection:
            self._rules.append(NoSchemaIntrospectionCustomRule)
        self._cache: OrderedDict[tuple[str, str | None], PreparedOperation] = OrderedDict()
        self._cache_size = plan_cache_size

    # ---- preparing ---------------------------------------------------------------------

    def prepare(self, query: str, operation_name: str | None) -> PreparedOperation:
        """Parse, validate and plan; cached by the document text and by its normalised form."""
        raw_key = (query, operation_name)
        prepared = self._cache_get(raw_key)
        if prepared is not None:
            return prepared
        max_tokens = self.limits.max_tokens if self.limits.max_tokens > 0 else None
        try:
            document = parse(query, no_location=False, max_tokens=max_tokens)
        except GraphQLError as exc:
            if max_tokens is not None and "more than" in exc.message and "tokens" in exc.message:
                over = LimitExceeded("tokens", max_tokens, max_tokens + 1)
                raise RequestError([limit_error(over)]) from exc
            raise RequestError(_error_dicts([exc], "GRAPHQL_PARSE_FAILED")) from exc
        normal_key = (print_ast(document), operation_name)
        prepared = self._cache_get(normal_key)
        if prepared is None:
            prepared = self._prepare(document, operation_name)
            self._cache_put(normal_key, prepared)
        self._cache_put(raw_key, prepared)
        return prepared

    def _prepare(self, document: DocumentNode, operation_name: str | None) -> PreparedOperation:
        errors = validate(self.schema, document, self._rules)
        if errors:
            raise RequestError(
                _error_dicts(
                    errors, "GRAPHQL_VALIDATION_FAILED", suggestions=self.field_suggestions
                )
            )
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
            if not operations:
                raise RequestError(
                    [gateway_error(f"Unknown operation named '{operation_name}'.", "BAD_REQUEST")]
                )
        elif len(operations) > 1:
            raise RequestError(
                [
                    gateway_error(
                        "Must provide operation name if query contains multiple operations.",
                        "BAD_REQUEST",
                    )
                ]
            )
        operation = operations[0]
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        measures = measure(self.schema, operation, fragments, {}, self.limits)
        try:
            check_shape(measures, self.limits)
        except LimitExceeded as exc:
            raise RequestError([limit_error(exc)]) from exc
        try:
            plan = self.planner.plan(operation, fragments)
        except PlanningError as exc:
            logger.error("query planning failed: %s", exc)
            raise RequestError([gateway_error(str(exc), INTERNAL)]) from exc
        return PreparedOperation(document, operation, plan, measures)

    def check_cost(self, prepared: PreparedOperation, variables: dict[str, Any] | None) -> None:
        """Raise RequestError when the operation's estimated cost is over the limit."""
        cost = prepared.measures.cost
        if prepared.measures.uses_variables:
            cost = measure(
                self.schema,
                prepared.operation,
                prepared.plan.fragments,
                variables or {},
                self.limits,
            ).cost
        try:
            check_cost(cost, self.limits)
        except LimitExceeded as exc:
            raise RequestError([limit_error(exc)]) from exc

    def _cache_get(self, key: tuple[str, str | None]) -> PreparedOperation | None:
        prepared = self._cache.get(key)
        if prepared is not None:
            self._cache.move_to_end(key)
        return prepared

    def _cache_put(self, key: tuple[str, str | None], prepared: PreparedOperation) -> None:
        self._cache[key] = prepared
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    # ---- running -----------------------------------------------------------------------

    async def run(
        self,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        context: RequestContext,
        *,
        allow_mutations: bool = True,
        include_plan: bool = False,
    ) -> dict[str, Any]:
        try:
            prepared = self.prepare(query, operation_name)
        except RequestError as exc:
            return {"errors": exc.errors}
        plan = prepared.plan
        if plan.operation_type == "mutation" and not allow_mutations:
            return {"errors": [gateway_error("Mutations must be sent with POST.", "BAD_REQUEST")]}
        if plan.operation_type == "subscription":
            message = "Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql."
            return {"errors": [gateway_error(message, "BAD_REQUEST")]}
        try:
            if context.uploads is not None:
                check_uploads(plan, context.uploads)
            coerced = self.coerce_variables(prepared, variables)
            self.check_cost(prepared, variables)
        except RequestError as exc:
            return {"errors": exc.errors}
        context.variables = variables or {}
        state = await self.executor.execute(plan, context)
        if plan.has_introspection:
            self._introspect(prepared, context.variables, state)
        response = self._response(prepared, coerced, state)
        if include_plan:
            response["extensions"] = {"queryPlan": plan.describe(), "queryPlanTree": plan.tree()}
        return response

    def coerce_variables(
        self, prepared: PreparedOperation, variables: dict[str, Any] | None
    ) -> dict[str, Any]:
        coerced = get_variable_values(
            self.schema, prepared.operation.variable_definitions or (), variables or {}
        )
        if isinstance(coerced, list):
            raise RequestError(_error_dicts(coerced, "BAD_USER_INPUT"))
        return coerced.coerced

    def _response(
        self, prepared: PreparedOperation, coerced: dict[str, Any], state: ExecutionState
    ) -> dict[str, Any]:
        data = ResponseShaper(self.schema, prepared.plan, coerced, state).shape()
        response: dict[str, Any] = {"data": data}
        if state.errors:
            response["errors"] = state.errors
        return response

    async def event_response(
        self,
        prepared: PreparedOperation,
        coerced: dict[str, Any],
        payload: dict[str, Any],
        context: RequestContext,
    ) -> dict[str, Any]:
        """One subscription event from the root subgraph, completed through the plan."""
        state = await self.executor.execute_event(prepared.plan, payload, context)
        return self._response(prepared, coerced, state)

    def _introspect(
        self, prepared: PreparedOperation, variables: dict[str, Any], state: ExecutionState
    ) -> None:
        operation = prepared.operation
        only = SelectionSetNode(
            selections=tuple(
                s
                for s in operation.selection_set.selections
                if isinstance(s, FieldNode) and s.name.value in INTROSPECTION_FIELDS
            )
        )
        filtered = OperationDefinitionNode(
            operation=operation.operation,
            name=operation.name,
            variable_definitions=operation.variable_definitions,
            directives=operation.directives,
            selection_set=only,
        )
        fragments = prepared.plan.fragments.values()
        result = execute_sync(
            self.schema, DocumentNode(definitions=(filtered, *fragments)), variable_values=variables
        )
        if result.data:
            state.data.update(result.data)
        for error in result.errors or ():
            state.add_error(_error_dicts([error], INTERNAL)[0])
