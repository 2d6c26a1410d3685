"""Service analytics over a period: volume, response times, SLA compliance, load."""
