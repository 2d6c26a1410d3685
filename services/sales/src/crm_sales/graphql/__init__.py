"""The sales subgraph (strawberry, Apollo Federation v2)."""
