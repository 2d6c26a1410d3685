"""Bulk import and export of customers: files, jobs, the worker that runs them."""
