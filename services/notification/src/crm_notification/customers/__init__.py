"""The projection of each customer's owner and team (from `customer.assigned.v1`)."""
