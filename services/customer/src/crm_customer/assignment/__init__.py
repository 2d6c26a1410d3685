"""Assignment: the ADMIN rules that choose the owner of a new customer, and the assigner."""
