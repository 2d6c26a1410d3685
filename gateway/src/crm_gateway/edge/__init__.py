"""The client-facing edge: HTTP and WebSocket endpoints, request parsing, authentication,
rate limits, persisted queries, file uploads and the headers passed on to subgraphs."""
