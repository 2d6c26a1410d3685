"""Data protection shared by the features: field encryption under a key ring, and blind
indexes for equality lookups, duplicate checks and search over sealed values."""
