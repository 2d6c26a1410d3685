"""Staff: the directory of the people who own customers, provisioned just in time."""
