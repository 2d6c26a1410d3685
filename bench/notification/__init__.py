"""Notification latency benchmark: `python -m bench.notification --events 1000`."""
