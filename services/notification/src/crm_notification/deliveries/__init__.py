"""The delivery log and the durable scheduler that sends it: one message to one destination on
one channel, attempted, retried with back-off, and given up with a reason."""
