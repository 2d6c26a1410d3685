"""Pipelines: ordered stages, their odds, forecast categories, gates and stall thresholds."""
