"""Viewer: the caller's own figures on the `Viewer` entity (owned by the customer subgraph)."""
