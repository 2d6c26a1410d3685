"""Notification rules and templates: what an event triggers, for whom, in which words and on
which channels; planning it is pure (planner.py), the lookups and storing are the service's."""
