"""Sales forecasts: per person and team and period, the figures by forecast category, the
submitted and adjusted numbers, their accuracy once the period closed, and the calibration of
the stages' probabilities."""
