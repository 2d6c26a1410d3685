"""Viewer: the caller as clients see them — staff record, roles, team, language, time zone and
what the access policy lets them do, in general and per customer."""
