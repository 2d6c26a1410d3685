"""History: every version of a customer, its state at a point in time, and restoring one."""
