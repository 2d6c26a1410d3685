"""The pipeline at a past instant and the waterfall between two instants, replayed from the
recorded stage and field history."""
