"""Integration events: those this service publishes (one module per type: type name and
payload) and the handlers of those it consumes (`on_*`, one per consumed type; handlers.py
maps the types to them)."""
