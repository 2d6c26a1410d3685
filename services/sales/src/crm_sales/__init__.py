"""The sales subgraph: pipelines and stages, opportunities, products and price books, exchange
rates, stage history and the kanban board."""
