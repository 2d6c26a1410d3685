"""Merging a duplicate opportunity into the deal that survives it."""
