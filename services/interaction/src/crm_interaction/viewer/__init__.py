"""Viewer: the caller's own figures on the `Viewer` entity (owned by the customer subgraph) and
what they may do with the tickets, tasks and interactions in a response."""
