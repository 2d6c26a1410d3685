"""Query planning: split a client operation into subgraph fetches.

A plan is a graph of `Fetch`es. Root fields go to a subgraph that resolves them (root fields of
one subgraph share one fetch; mutation fields keep their order). A field the current subgraph
cannot resolve becomes part of an entity fetch: one `_entities` request per (parent fetch,
response path, subgraph), holding every object found at that path, lists included. The parent
fetch adds the key fields (and `@requires` fields) the representations need; a fetch depends on
the fetches that provide them. The requests are arranged in a tree of Fetch, Flatten,
Sequence and Parallel nodes (`planning.tree`), so that independent fetches run concurrently and
a fetch starts as soon as what it needs has arrived. `@skip`/`@include` are forwarded to
subgraphs, so a plan does not depend on variable values and can be cached per document and
operation name.

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
from crm_gateway.planning.plan import PlanNode, QueryPlan, SequenceNode
from crm_gateway.planning.tree import build_tree


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph

    def plan(
        self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> QueryPlan:
        graph = FetchGraph(self.supergraph, operation, fragments)
        FieldPlanner(graph, EntityHops(graph)).plan_operation()
        requests = Requests(graph)
        node: PlanNode | None
        if graph.op_type == "mutation":  # one root field after the other, with its hops
            parts = [build_tree(requests.batch([r, *r.descendants()])) for r in graph.roots]
            node = SequenceNode([p for p in parts if p is not None]) if parts else None
        else:
            node = build_tree(requests.batch(graph.fetches))
        return QueryPlan(
            graph.op_type,
            graph.sg.root_types[graph.op_type],
            node,
            graph.fetches,
            operation,
            fragments,
            graph.has_introspection,
            graph.node_ids,
        )
