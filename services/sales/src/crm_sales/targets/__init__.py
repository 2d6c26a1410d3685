"""Sales targets: per person and per team, per month, fiscal quarter or fiscal year, with
attainment, gap, pace and a leaderboard per team."""
