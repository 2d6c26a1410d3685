"""Transport to subgraphs: HTTP (keep-alive pool, retries, deduplication, circuit breaker)
and graphql-transport-ws for subscriptions."""
