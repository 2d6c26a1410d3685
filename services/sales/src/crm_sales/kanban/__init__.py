"""The kanban board: stable card order within a stage and the columns' counts and sums."""
