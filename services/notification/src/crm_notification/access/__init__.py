"""Who may see which notifications: `crm_kit.policy` applied in the notification subgraph, over
a projection of each customer's owner and team (from `customer.assigned.v1`)."""
