"""This service's copy of customers (fed by customer events) and their lifecycle here."""
