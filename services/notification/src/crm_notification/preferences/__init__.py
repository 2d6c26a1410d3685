"""Per-user preferences: channels per notice type, quiet hours, daily digest, language, and
where to reach the user."""
