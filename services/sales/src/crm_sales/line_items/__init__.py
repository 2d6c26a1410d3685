"""Line items of an opportunity, priced from a price book, and their totals."""
