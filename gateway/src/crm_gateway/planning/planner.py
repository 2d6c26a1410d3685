"""Query planning: split a client operation into subgraph fetches.

A plan is a graph of `Fetch`es. Root fields go to a subgraph that resolves them (root fields of
one subgraph share one fetch; mutation fields keep their order). A field the current subgraph
cannot resolve becomes part of an entity fetch: one `_entities` request per (parent fetch,
response path, subgraph), holding every object found at that path, lists included. The parent
fetch adds the key fields (and `@requires` fields) the representations need; a fetch depends on
the fetches that provide them, so independent fetches run concurrently and nested hops wait
only for what they need. `@skip`/`@include` are forwarded to subgraphs, so a plan does not
depend on variable values and can be cached per document and operation name.

The planner is composed of parts that share one `FetchGraph` (the fetches being built):
`FieldPlanner` walks the operation, `EntityHops` adds `_entities` fetches and the key and
`@requires` fields they need, `Routes` finds routes for fields of value types, and `Requests`
batches and prints the subgraph requests.
"""

from __future__ import annotations

from graphql import FragmentDefinitionNode, OperationDefinitionNode

from crm_gateway.composition.supergraph import Supergraph
from crm_gateway.planning.entities import EntityHops
from crm_gateway.planning.fetches import FetchGraph
from crm_gateway.planning.fields import FieldPlanner
from crm_gateway.planning.operations import Requests
from crm_gateway.planning.plan import QueryPlan


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph

    def plan(
        self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> QueryPlan:
        graph = FetchGraph(self.supergraph, operation, fragments)
        FieldPlanner(graph, EntityHops(graph)).plan_operation()
        if graph.op_type == "mutation":
            fetch_steps = [[r, *r.descendants()] for r in graph.roots]
        else:
            fetch_steps = [list(graph.fetches)] if graph.fetches else []
        requests = Requests(graph)
        steps = [requests.batch(step) for step in fetch_steps]
        return QueryPlan(
            graph.op_type,
            graph.sg.root_types[graph.op_type],
            steps,
            graph.fetches,
            operation,
            fragments,
            graph.has_introspection,
        )
