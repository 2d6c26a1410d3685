"""What every feature of this service shares: storage time, list orders and keyset cursors,
per-key pages for `_entities` batches, and loading a record for a change."""
