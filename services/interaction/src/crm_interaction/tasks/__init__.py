"""Follow-up tasks: reminders, recurrence and the overdue check."""
