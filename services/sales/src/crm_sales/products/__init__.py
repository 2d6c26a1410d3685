"""The product catalogue and the price books, one currency each."""
