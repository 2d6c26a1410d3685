"""Purchases / orders, recorded idempotently per source order (e.g. from an ERP)."""
