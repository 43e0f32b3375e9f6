"""What a community, the city and a staff member's home show: summaries of every other feature."""
