"""Per-customer insight: contact statistics, RFM scores and churn risk."""
