"""Integration events: one module per event type this service publishes (`<type>.py`: its type
and payload) and one per type it consumes (`on_<type>.py`: its handler, run inside the
consumer's transaction together with the idempotency record, so a redelivered event is
applied once)."""
