"""Data protection shared by the features: field encryption with blind indexes, and which
parts of a customer record are personal data."""
