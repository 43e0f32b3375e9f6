"""Survey results as plain dicts: tallies kept at every save, summaries, figures, exports, and what plans read."""
