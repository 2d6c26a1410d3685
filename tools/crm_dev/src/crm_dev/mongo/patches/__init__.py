"""Patches the embedded server applies to mongoeco before it serves."""
