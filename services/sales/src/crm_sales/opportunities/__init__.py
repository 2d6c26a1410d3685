"""Opportunities: the record, the stage gate, moves, won / lost and reopening."""
