"""Helpers every feature of this service uses: storage time, keyset paging, loading an item
for a change, and what every write use case is handed (see `filing`)."""
