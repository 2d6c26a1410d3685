"""Customers: the master-data record, its use cases, its store and its read side."""
