"""Integration events: one module per event this service emits or consumes."""
