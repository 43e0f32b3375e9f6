"""Reference data: the item catalogue, locality rules and the holiday table."""
