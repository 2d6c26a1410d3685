"""Quotes: an opportunity's line items offered to its customer under a yearly number, in
versions (a new version supersedes a sent one, never edits it), with tax and totals in
decimal, an approval for discounts above the ADMIN's threshold, and the quote as PDF and
XLSX behind short-lived signed links."""
