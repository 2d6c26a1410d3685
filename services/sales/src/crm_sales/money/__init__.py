"""Money: accepted currencies, exact decimal amounts, exchange rates and base-currency values."""
