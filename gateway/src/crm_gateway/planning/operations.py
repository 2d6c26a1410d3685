"""The requests of a plan: entity fetches to one subgraph that become ready together are
batched into one request (aliased `_entities` calls), and each request's operation is printed
once, when the plan is built."""

from __future__ import annotations

import re

from crm_gateway.planning.aliases import alias_conflicts
from crm_gateway.planning.fetches import FetchGraph
from crm_gateway.planning.plan import Fetch, FetchNode


class Requests:
    def __init__(self, graph: FetchGraph) -> None:
        self.graph = graph
        self.count = 0

    def batch(self, fetches: list[Fetch]) -> list[FetchNode]:
        """Group entity fetches to one subgraph with the same dependencies into one request."""
        groups: dict[tuple[str, frozenset[int]] | int, list[Fetch]] = {}
        for fetch in fetches:
            key = (
                (fetch.subgraph, frozenset(fetch.depends_on)) if fetch.is_entity else -fetch.id - 1
            )
            groups.setdefault(key, []).append(fetch)
        batches: list[FetchNode] = []
        owner: dict[int, int] = {}
        for members in groups.values():
            batch = FetchNode(self.count, members[0].subgraph, members)
            self.count += 1
            batches.append(batch)
            for fetch in members:
                owner[fetch.id] = batch.id
            self._print(batch)
        for batch in batches:
            for fetch in batch.fetches:
                batch.depends_on |= {owner[d] for d in fetch.depends_on if d in owner}
        return batches

    def _print(self, batch: FetchNode) -> None:
        if batch.fetches[0].lookup is not None:
            return  # resolved by the gateway: no request
        graph = self.graph
        base = graph.operation.name.value if graph.operation.name else None
        if base:
            safe = re.sub(r"\W", "_", batch.subgraph)
            batch.operation_name = f"{base}__{safe}__{batch.id}"
        used: dict[str, None] = {}
        for fetch in batch.fetches:
            used.update(fetch.variables)
        definitions = [graph.variable_definitions[v] for v in used]
        for fetch in batch.fetches:
            owner = None if fetch.is_entity else graph.sg.root_types.get(graph.op_type)
            batch.renames.update(alias_conflicts(fetch.selection, owner, batch.subgraph, graph.sg))
        if batch.is_entity:
            batch.operation = self._entities_operation(batch, definitions)
        else:
            header = f"({', '.join(definitions)})" if definitions else ""
            selection = batch.fetches[0].selection.print()
            batch.operation = f"{graph.op_type}{self._name(batch)}{header} {selection}"

    def _entities_operation(self, batch: FetchNode, definitions: list[str]) -> str:
        calls: list[str] = []
        single = len(batch.fetches) == 1
        for position, fetch in enumerate(batch.fetches):
            rep = "representations" if single else f"representations{position}"
            while rep in self.graph.variable_definitions:
                rep = "_" + rep
            fetch.representations_variable = rep
            fetch.alias = "_entities" if single else f"_e{position}"
            alias = "" if single else f"{fetch.alias}: "
            definitions.insert(position, f"${rep}: [_Any!]!")
            calls.append(f"{alias}_entities(representations: ${rep}) {fetch.selection.print()}")
        return f"query{self._name(batch)}({', '.join(definitions)}) {{ {' '.join(calls)} }}"

    @staticmethod
    def _name(batch: FetchNode) -> str:
        return f" {batch.operation_name}" if batch.operation_name else ""
