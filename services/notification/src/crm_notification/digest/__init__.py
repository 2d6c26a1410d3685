"""The daily digest: one email per day listing a user's notices, for those who chose it."""
