"""How a subgraph's SDL names the federation directives: Federation v2 `@link` imports (renamed,
or `federation__`-prefixed), or Federation v1 (no @link: bare directive names)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql.language import DocumentNode, Node, SchemaDefinitionNode, SchemaExtensionNode

from crm_gateway.composition.sdl import directive_args

FEDERATION_DIRECTIVES = (
    "key",
    "shareable",
    "external",
    "requires",
    "provides",
    "inaccessible",
    "tag",
    "override",
    "extends",
    "interfaceObject",
    "composeDirective",
    "authenticated",
    "requiresScopes",
    "policy",
    "context",
    "fromContext",
    "cost",
    "listSize",
)
Found = dict[str, list[dict[str, object]]]
"""Federation directives on a node, by canonical name, with their arguments."""


@dataclass
class SubgraphSchema:
    name: str
    fed2: bool
    directives: dict[str, str]  # local directive name -> canonical federation name
    renames: dict[str, str]  # subgraph root type name -> supergraph root type name

    def canonical(self, node: Node) -> Found:
        """Federation directives on a node, by canonical name, with their arguments."""
        found: Found = {}
        for directive in getattr(node, "directives", None) or ():
            canonical = self.directives.get(directive.name.value)
            if canonical is not None:
                found.setdefault(canonical, []).append(directive_args(directive))
        return found


def read_links(name: str, document: DocumentNode) -> SubgraphSchema:
    directives: dict[str, str] | None = None
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            args = directive_args(directive)
            if "specs.apollo.dev/federation/" in str(args.get("url") or ""):
                directives = _federation_link(args)
    if directives is None:  # Federation v1 subgraph
        return SubgraphSchema(name, False, {d: d for d in FEDERATION_DIRECTIVES}, {})
    return SubgraphSchema(name, True, directives, {})


def _federation_link(args: dict[str, Any]) -> dict[str, str]:
    """Local directive name -> federation name, from the arguments of the federation @link."""
    prefix = str(args.get("as") or "federation") + "__"
    directives = {prefix + d: d for d in FEDERATION_DIRECTIVES}
    for item in args.get("import") or []:
        if isinstance(item, str):
            local = canonical = item.lstrip("@")
        elif isinstance(item, dict):
            canonical = str(item.get("name", "")).lstrip("@")
            local = str(item.get("as") or item.get("name", "")).lstrip("@")
        else:
            continue
        if canonical in FEDERATION_DIRECTIVES:
            directives[local] = canonical
    return directives
