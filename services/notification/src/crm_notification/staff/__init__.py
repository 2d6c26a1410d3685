"""The staff directory: who exists, their team and roles, recorded from token claims."""
