"""Helpers the features share and that belong to none of them: keyset paging, insert-if-absent,
a small TTL cache, and after-commit hooks on the unit of work."""
