"""Integration events this service publishes, one module each."""
