"""Notification subgraph: in-app notifications for staff, fed by customer events."""
