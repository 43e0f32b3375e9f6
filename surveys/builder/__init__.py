"""Building a survey: settings, pages, questions and choices, the renovation item block, open and close."""
