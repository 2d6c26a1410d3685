"""Communication records: calls, e-mails, visits, … with their details, edits and history."""
