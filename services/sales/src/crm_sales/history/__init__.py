"""Stage history: moves between stages, tracked field changes, time in stage and stalling."""
