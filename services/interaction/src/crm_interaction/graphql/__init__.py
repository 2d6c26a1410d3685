"""The interaction subgraph (strawberry, Apollo Federation v2)."""
