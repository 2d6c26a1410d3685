"""The plan as a tree: fetch nodes arranged in Sequence and Parallel nodes by what each one
needs, so that a fetch starts as soon as the fetches it depends on have arrived.

The dependencies between fetch nodes form a partial order. Nodes that are unrelated (neither
needs the other, directly or through others) split into Parallel branches; a group whose nodes
split into parts where each node of a later part needs every node of the earlier ones is a
Sequence. Where neither split exists (dependencies shaped like an N: a needs b, c needs b and
d, d unrelated to a), the group becomes a Parallel node in dependency order whose fetch nodes
wait explicitly for the dependencies the tree's order does not guarantee (`FetchNode.waits`).
"""

from __future__ import annotations

from collections.abc import Callable

from crm_gateway.planning.plan import (
    FetchNode,
    FlattenNode,
    ParallelNode,
    PlanNode,
    SequenceNode,
)


def build_tree(nodes: list[FetchNode]) -> PlanNode | None:
    if not nodes:
        return None
    order = _topological(nodes)
    position = {node.id: index for index, node in enumerate(order)}
    ancestors = _ancestors(order, position)
    tree = _Decomposition(ancestors, position).build([n.id for n in order], order)
    _set_waits(tree, frozenset())
    return tree


def _topological(nodes: list[FetchNode]) -> list[FetchNode]:
    """The nodes in dependency order (lowest id first among those ready)."""
    ids = {node.id for node in nodes}
    remaining = sorted(nodes, key=lambda n: n.id)
    placed: set[int] = set()
    order: list[FetchNode] = []
    while remaining:
        ready = next(
            (n for n in remaining if all(d in placed or d not in ids for d in n.depends_on)),
            remaining[0],  # (a cycle, which planning does not produce: broken by id)
        )
        remaining.remove(ready)
        placed.add(ready.id)
        order.append(ready)
    return order


def _ancestors(order: list[FetchNode], position: dict[int, int]) -> dict[int, frozenset[int]]:
    """Every node a node needs, directly or through others (earlier in `order` only)."""
    found: dict[int, frozenset[int]] = {}
    for node in order:
        direct = {d for d in node.depends_on if d in found and position[d] < position[node.id]}
        closure = set(direct)
        for dependency in direct:
            closure |= found[dependency]
        found[node.id] = frozenset(closure)
    return found


class _Decomposition:
    def __init__(self, ancestors: dict[int, frozenset[int]], position: dict[int, int]) -> None:
        self.ancestors = ancestors
        self.position = position

    def related(self, a: int, b: int) -> bool:
        return a in self.ancestors[b] or b in self.ancestors[a]

    def build(self, ids: list[int], order: list[FetchNode]) -> PlanNode:
        by_id = {node.id: node for node in order}
        return self._build(ids, by_id)

    def _build(self, ids: list[int], by_id: dict[int, FetchNode]) -> PlanNode:
        if len(ids) == 1:
            node = by_id[ids[0]]
            return FlattenNode(node) if node.is_entity else node
        parts = self._components(ids, self.related)
        if len(parts) > 1:
            return ParallelNode([self._build(part, by_id) for part in parts])
        parts = self._components(ids, lambda a, b: not self.related(a, b))
        if len(parts) > 1:
            return SequenceNode([self._build(part, by_id) for part in parts])
        # not series-parallel: each fetch node waits for what it needs (`_set_waits`)
        return ParallelNode([self._build([i], by_id) for i in ids])

    def _components(self, ids: list[int], linked: Callable[[int, int], bool]) -> list[list[int]]:
        """The connected parts of `ids` under `linked`, each in dependency order, ordered by
        their first node."""
        parts: list[list[int]] = []
        seen: set[int] = set()
        for start in ids:
            if start in seen:
                continue
            seen.add(start)
            part, stack = [start], [start]
            while stack:
                current = stack.pop()
                for other in ids:
                    if other not in seen and linked(current, other):
                        seen.add(other)
                        part.append(other)
                        stack.append(other)
            parts.append(sorted(part, key=self.position.__getitem__))
        return sorted(parts, key=lambda p: self.position[p[0]])


def _set_waits(node: PlanNode, before: frozenset[int]) -> frozenset[int]:
    """Set each fetch node's explicit waits (dependencies not among the nodes `before` it in
    the tree's order); returns the ids of the fetch nodes in `node`."""
    if isinstance(node, FlattenNode | FetchNode):
        fetch = node.node if isinstance(node, FlattenNode) else node
        fetch.waits = tuple(sorted(d for d in fetch.depends_on - before if d != fetch.id))
        return frozenset({fetch.id})
    inside: frozenset[int] = frozenset()
    for child in node.nodes:
        found = _set_waits(child, before | inside if isinstance(node, SequenceNode) else before)
        inside |= found
    return inside


def critical_path(node: PlanNode, seconds: dict[int, float]) -> float:
    """The subgraph round trips on the longest dependency chain of a plan (or part of it),
    from the measured round trip of each fetch node (`seconds`, by id)."""
    ends: dict[int, float] = {}

    def finish(current: PlanNode, start: float) -> float:
        if isinstance(current, FlattenNode):
            current = current.node
        if isinstance(current, FetchNode):
            begin = max([start, *(ends.get(w, 0.0) for w in current.waits)])
            ends[current.id] = begin + seconds.get(current.id, 0.0)
            return ends[current.id]
        if isinstance(current, SequenceNode):
            for child in current.nodes:
                start = finish(child, start)
            return start
        return max((finish(child, start) for child in current.nodes), default=start)

    return finish(node, 0.0)
