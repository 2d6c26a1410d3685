"""Stalled opportunities: the watch that finds deals left in a stage past its stall threshold
and publishes `opportunity.stalled.v1` once per stay in a stage."""
