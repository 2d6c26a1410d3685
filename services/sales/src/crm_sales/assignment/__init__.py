"""Ownership of opportunities: assigning one, and assigning many in bounded batches."""
