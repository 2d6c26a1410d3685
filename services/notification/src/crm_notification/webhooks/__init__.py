"""Webhook subscriptions: ADMIN registers receivers of signed event POSTs; a receiver that
keeps failing is disabled."""
