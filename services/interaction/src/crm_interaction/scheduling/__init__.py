"""Durable jobs fired once across replicas: SLA checks of tickets, reminders and overdue
checks of tasks (each feature registers its job handlers in app.py)."""
