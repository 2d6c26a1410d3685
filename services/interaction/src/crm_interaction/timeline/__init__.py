"""The customer timeline: one feed of every item filed under a customer."""
