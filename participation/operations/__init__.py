"""Business rules as functions that take the acting user, flush and never commit."""
