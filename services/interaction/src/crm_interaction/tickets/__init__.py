"""Service tickets: the status workflow, assignment, comments, ratings and the SLA clock."""
