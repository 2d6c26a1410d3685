"""The plan tree: fetch nodes arranged in Sequence / Parallel nodes by their dependencies, and
executed so that a fetch starts as soon as what it needs has arrived."""

from __future__ import annotations

import asyncio
from typing import Any

from crm_gateway.execution.executor import _Run
from crm_gateway.execution.state import ExecutionState, RequestContext
from crm_gateway.planning.plan import (
    Fetch,
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from crm_gateway.planning.tree import build_tree, critical_path


def node(node_id: int, *needs: int) -> FetchNode:
    fetch = Fetch(node_id, f"s{node_id}", (), is_entity=bool(needs))
    return FetchNode(node_id, fetch.subgraph, [fetch], depends_on=set(needs))


def shape(tree: PlanNode | None) -> Any:
    if isinstance(tree, FlattenNode):
        return tree.node.id
    if isinstance(tree, FetchNode):
        return tree.id
    assert tree is not None
    kind = "seq" if isinstance(tree, SequenceNode) else "par"
    return (kind, [shape(n) for n in tree.nodes])


def test_series_parallel_dependencies_become_sequence_and_parallel_nodes() -> None:
    # 0 and 4 are roots; 1 and 2 need 0; 3 needs 1 and 2; 5 needs 4
    tree = build_tree([node(0), node(1, 0), node(2, 0), node(3, 1, 2), node(4), node(5, 4)])
    assert shape(tree) == ("par", [("seq", [0, ("par", [1, 2]), 3]), ("seq", [4, 5])])
    assert isinstance(tree, ParallelNode)
    assert all(not n.waits for n in _nodes(tree))


def test_an_independent_fetch_does_not_wait_for_an_unrelated_one() -> None:
    # 2 needs only 0; 3 needs 1: the branches are separate sequences
    tree = build_tree([node(0), node(1, 0), node(2, 0), node(3, 1)])
    assert shape(tree) == ("seq", [0, ("par", [("seq", [1, 3]), 2])])


def test_n_shaped_dependencies_wait_explicitly_for_what_the_order_does_not_cover() -> None:
    # 2 needs 0 and 1, 3 needs 1 only: no series-parallel tree without a needless wait
    tree = build_tree([node(0), node(1), node(2, 0, 1), node(3, 1)])
    waits = {n.id: n.waits for n in _nodes(tree)}
    assert waits == {0: (), 1: (), 2: (0, 1), 3: (1,)}
    assert critical_path(tree, {0: 1.0, 1: 2.0, 2: 1.0, 3: 5.0}) == 7.0


def test_critical_path_sums_sequences_and_takes_the_longest_branch() -> None:
    tree = build_tree([node(0), node(1, 0), node(2, 0), node(3, 1)])
    assert tree is not None
    assert critical_path(tree, {0: 1.0, 1: 2.0, 2: 4.0, 3: 3.0}) == 6.0


async def test_fetches_start_as_soon_as_their_dependencies_have_arrived() -> None:
    started: dict[int, float] = {}
    delays = {0: 0.01, 1: 0.02, 2: 0.2, 3: 0.01}
    loop = asyncio.get_running_loop()

    class Recorder:
        async def root_fetch(self, batch: FetchNode, *_: object) -> None:
            await self.entity_fetch(batch)

        async def entity_fetch(self, batch: FetchNode, *_: object) -> None:
            started[batch.id] = loop.time()
            await asyncio.sleep(delays[batch.id])

    nodes = [node(0), node(1), node(2, 0, 1), node(3, 1)]  # N-shaped: explicit waits
    tree = build_tree(nodes)
    plan = QueryPlan("query", "Query", tree, [], None, {}, False)  # type: ignore[arg-type]
    context = RequestContext(variables={}, headers={}, request_id="r")
    begin = loop.time()
    await _Run(Recorder(), plan, ExecutionState(), context).run(tree)  # type: ignore[arg-type]
    assert started[3] - begin < 0.1  # after 1 (0.02 s), not after 2 (0.2 s)
    assert started[2] >= begin + 0.02


def _nodes(tree: PlanNode | None) -> list[FetchNode]:
    plan = QueryPlan("query", "Query", tree, [], None, {}, False)  # type: ignore[arg-type]
    return plan.fetch_nodes()
