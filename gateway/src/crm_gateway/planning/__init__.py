"""Query planning: a client operation split into subgraph fetches, as a tree of fetch,
sequence, parallel and flatten nodes."""
