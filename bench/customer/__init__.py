"""Customer master data benchmark: `python -m bench.customer --sizes 1000 10000`."""
