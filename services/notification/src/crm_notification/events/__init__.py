"""Integration events this service emits: one module per event type (type name + payload)."""
