"""Possible duplicate opportunities: open deals of one customer whose names match."""
