"""Answering a survey: the answer form, server-side checks and expressions, saving, and imported answers."""
