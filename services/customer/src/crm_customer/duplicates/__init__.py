"""Duplicates: match keys and fuzzy names, candidate pairs for review, merge and unmerge."""
