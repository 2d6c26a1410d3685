"""The ADMIN's lists of reasons a deal is won or lost for."""
